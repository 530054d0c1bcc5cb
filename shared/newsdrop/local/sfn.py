"""The template's state machines on moto's own Step Functions interpreter, their Lambda tasks run here.

moto's CloudFormation records a state machine without running it (and ignores DefinitionSubstitutions),
and its Lambda runs no code without Docker. So the local stack takes the StateMachine resources out of
what it deploys and creates each through the Step Functions API with moto's interpreter switched on
(``execute_state_machine``, the switch ``mock_aws(config=...)`` sets), the definition read from its
.asl.json file with the substitutions resolved; and the interpreter's Lambda call (``lambda:invoke``) is
routed to the stack's in-process function, as the dispatcher drives the others. Invocations are
serialized: a function runs in this process's environment, which one invocation at a time may own.
"""

from __future__ import annotations

import json
import threading
import traceback
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsdrop.local.stack import LocalFunction, LocalStack

_functions: dict[str, LocalFunction] = {}  # by ARN and by name, every local stack's
_lock = threading.RLock()
invocation_lock = _lock  # held while a task runs: hold it to run other functions between two tasks
_hooked = False


def take_state_machines(deployable: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Remove the StateMachine resources from the deployable template, and the outputs that name them;
    returns (resources by logical id, output name -> logical id)."""
    resources = deployable["Resources"]
    machines = {k: r for k, r in resources.items() if r["Type"] == "AWS::StepFunctions::StateMachine"}
    for logical_id in machines:
        del resources[logical_id]
    outputs = {}
    for name, output in list(deployable.get("Outputs", {}).items()):
        if _mentions(output, machines):
            outputs[name] = output["Value"]["Ref"]
            del deployable["Outputs"][name]
    return machines, outputs


def local_name(stack: LocalStack, logical_id: str) -> str:
    return f"{stack.stack_name}-{logical_id}"


def local_arn(stack: LocalStack, logical_id: str) -> str:
    from moto.core import DEFAULT_ACCOUNT_ID

    return f"arn:aws:states:{stack.region}:{DEFAULT_ACCOUNT_ID}:stateMachine:{local_name(stack, logical_id)}"


def _mentions(value: Any, names: dict[str, Any]) -> bool:
    if isinstance(value, dict):
        if value.get("Ref") in names:
            return True
        return any(_mentions(v, names) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, names) for v in value)
    return False


def create_state_machines(stack: LocalStack, machines: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Create each machine (those it depends on first); returns logical id -> ARN."""
    from moto.core.config import default_user_config

    # Restored when the enclosing mock_aws() ends (it patches this dict for its duration).
    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    _hook()
    for fn in stack.functions.values():
        _functions[fn.arn] = fn
        _functions[fn.name] = fn
    sfn = stack.client("stepfunctions")
    arns: dict[str, str] = {}
    pending = dict(machines)
    while pending:
        for logical_id, res in list(pending.items()):
            props = res["Properties"]
            subs = props.get("DefinitionSubstitutions", {})
            if any(_mentions(v, pending) for v in subs.values()):
                continue  # depends on a machine not created yet
            definition = _definition(props)
            for name, value in subs.items():
                definition = definition.replace("${" + name + "}", _resolve(stack, value, arns))
            arns[logical_id] = sfn.create_state_machine(
                name=local_name(stack, logical_id),
                definition=definition,
                roleArn=_resolve(stack, props["RoleArn"], arns),
            )["stateMachineArn"]
            del pending[logical_id]
    return arns


def _definition(props: dict[str, Any]) -> str:
    value = props.get("DefinitionString") or props.get("Definition")
    if isinstance(value, dict) and "Fn::Join" in value:  # SAM's form of an inline Definition
        sep, parts = value["Fn::Join"]
        return sep.join(p if isinstance(p, str) else json.dumps(p) for p in parts)
    return value if isinstance(value, str) else json.dumps(value)


def _resolve(stack: LocalStack, value: Any, arns: dict[str, str]) -> str:
    if isinstance(value, dict) and value.get("Ref") in arns:
        return arns[value["Ref"]]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical_id, attr = value["Fn::GetAtt"]
        if logical_id in stack.functions and attr == "Arn":
            return stack.functions[logical_id].arn
        if attr == "Arn" and logical_id in stack.physical:
            return stack.client("iam").get_role(RoleName=stack.physical[logical_id])["Role"]["Arn"]
    return str(stack.resolve(value))


def _hook() -> None:
    global _hooked
    if _hooked:
        return
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    lambda_eval_utils._invoke_lambda_function = _invoke
    _fix_nested_start_execution()
    _hooked = True


def _fix_nested_start_execution() -> None:
    """moto's ``states:startExecution.sync:2`` passes the ASL's parameter names (StateMachineArn, Input,
    Name) to boto3, whose Step Functions API spells them stateMachineArn, input, name, and reads boto3's
    answers by the names AWS gives the state (ExecutionArn, Output): both renamed here."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_sfn

    cls = state_task_service_sfn.StateTaskServiceSfn
    original = cls._normalise_parameters

    def normalise(self: Any, parameters: dict, *args: Any, **kwargs: Any) -> None:
        original(self, parameters, *args, **kwargs)
        for name in ("StateMachineArn", "Input", "Name"):
            if name in parameters:
                parameters[name[0].lower() + name[1:]] = parameters.pop(name)

    def pascal_case(self: Any, response: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(response, dict):
            for key in [k for k in response if k[:1].islower()]:
                response[key[0].upper() + key[1:]] = response.pop(key)

    cls._normalise_parameters = normalise
    cls._normalise_response = pascal_case


def _invoke(parameters: dict[str, Any], region: str, state_credentials: Any) -> dict[str, Any]:
    """What Lambda's Invoke answers, from the in-process function (an error as FunctionError)."""
    name = parameters["FunctionName"]
    fn = _functions.get(name) or _functions.get(name.split(":function:")[-1].split(":")[0])
    if fn is None:
        raise KeyError(f"no local function {name!r}")
    payload = json.loads(parameters.get("Payload") or b"{}")
    with _lock:
        try:
            result = fn.invoke(payload)
        except Exception as err:  # noqa: BLE001 (the task's error, as Lambda reports it)
            return {
                "StatusCode": 200,
                "FunctionError": "Unhandled",
                "Payload": {
                    "errorType": type(err).__name__,
                    "errorMessage": str(err),
                    "stackTrace": traceback.format_exception(err)[-3:],
                },
            }
    return {"StatusCode": 200, "Payload": json.loads(json.dumps(result, default=str))}
