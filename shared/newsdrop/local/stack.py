"""Deploy template.yaml into moto's CloudFormation and find what the template wires to what.

moto creates the buckets, tables, queues and functions, but runs no Lambda code and ignores S3
notification configs; so the event wiring is read from the translated template here and driven by
`newsdrop.local.dispatch` instead: S3 notifications through an SQS queue (moto does deliver those),
stream records from moto's DynamoDB Streams, and queue messages from moto's SQS.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import sys
import uuid
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3

from newsdrop import lifecycle
from newsdrop.local import moto_patches, sfn
from newsdrop.local.sam import load_template, translate

PROJECT_ROOT = Path(__file__).resolve().parents[3]
CODE_BUCKET = "newsdrop-local-code"
S3_EVENTS_QUEUE = "newsdrop-local-s3-notifications"
# What a deployment must set (the template gives these no default): values for the local stack. moto
# sends no mail, so example addresses are safe here and only here.
LOCAL_DEPLOYMENT = {
    "SigningSecretParameter": "newsdrop/dev/signing-secret",
    "SenderAddress": "news@example.com",
    "SenderIdentity": "example.com",
    "UnsubscribeAddress": "unsubscribe@news.example.com",
}
LOCAL_ENV = {
    "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
    "POWERTOOLS_DEV": "false",
}


@dataclass
class LocalFunction:
    """One function of the stack, run in this process with the environment the template gives it."""

    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    env: dict[str, str]
    timeout: int
    _module: ModuleType | None = field(default=None, repr=False)

    @contextmanager
    def _environment(self) -> Iterator[None]:
        saved = dict(os.environ)
        os.environ.update(self.env)
        os.environ["AWS_LAMBDA_FUNCTION_NAME"] = self.name
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def _load(self) -> ModuleType:
        if self._module is None:
            _forget_warm_state()
            module_file, _, _ = self.handler.rpartition(".")
            path = self.code_dir / f"{module_file.replace('.', '/')}.py"
            spec = importlib.util.spec_from_file_location(f"newsdrop_local_fn_{self.logical_id}", path)
            assert spec and spec.loader, path
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)  # module-level setup runs once, like a cold start
            # In Lambda each function imports its own modules first; here they are shared by all
            # functions, so the domain loggers this one brought in get the structured format now.
            observability = sys.modules.get("newsdrop.observability")
            if observability is not None:
                # ...and the shared logger takes this function's level, as its own process would.
                observability.logger.setLevel(os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO"))
                observability.structured_domain_logs()
            self._module = module
        return self._module

    def invoke(self, event: dict[str, Any]) -> Any:
        with self._environment():
            module = self._load()
            handler = getattr(module, self.handler.rpartition(".")[2])
            try:
                return handler(event, LambdaContext(self))
            finally:
                if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
                    # Powertools skips the flush when disabled but keeps the values, and prints them
                    # anyway once 100 pile up; a real invocation would have started empty.
                    sys.modules["newsdrop.observability"].metrics.clear_metrics()


def _forget_warm_state() -> None:
    """A cold start in a new container: per-container caches in the newsdrop package (runtimes bound to
    one stack's tables) must not leak from an earlier local stack in this process."""
    for name, module in list(sys.modules.items()):
        if name == "newsdrop" or name.startswith("newsdrop."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


class LambdaContext:
    def __init__(self, fn: LocalFunction):
        self.function_name = fn.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = fn.arn
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{fn.name}"
        self.log_stream_name = "local"
        self._timeout_ms = fn.timeout * 1000

    def get_remaining_time_in_millis(self) -> int:
        return self._timeout_ms


@dataclass
class EventSource:
    """An AWS::Lambda::EventSourceMapping of the translated template, kept out of moto (which would
    consume the queue itself) and driven by the dispatcher."""

    function: str  # logical id
    source: dict[
        str, Any
    ]  # the EventSourceArn intrinsic, e.g. {"Fn::GetAtt": ["ArticlesTable", "StreamArn"]}
    props: dict[str, Any]


@dataclass
class S3Notification:
    bucket: str  # logical id
    function: str  # logical id
    events: list[str]
    prefix: str
    suffix: str


@dataclass
class AsyncConfig:
    max_retries: int = 2
    on_failure: dict[str, Any] | None = None  # intrinsic of the destination ARN


class LocalStack:
    def __init__(
        self,
        root: Path = PROJECT_ROOT,
        *,
        region: str = "us-east-1",
        stack_name: str = "newsdrop-local",
        parameters: dict[str, str] | None = None,
        env_overrides: dict[str, str] | None = None,
    ):
        moto_patches.apply()
        # The functions read the time through newsdrop.lifecycle: here, the local clock that the
        # dispatcher, `newsdrop run --now` and the tests move forward.
        lifecycle.time_source = moto_patches.clock.time
        self.root = root
        self.region = region
        self.stack_name = stack_name
        self.session = boto3.session.Session(region_name=region)
        self.template = load_template(root / "template.yaml")
        self.parameters = (
            {name: str(spec.get("Default", "")) for name, spec in self.template.get("Parameters", {}).items()}
            | LOCAL_DEPLOYMENT
            | (parameters or {})
        )
        self.env_overrides = LOCAL_ENV | (env_overrides or {})
        self.physical: dict[str, str] = {}
        self.functions: dict[str, LocalFunction] = {}
        self.event_sources: list[EventSource] = []
        self.s3_notifications: list[S3Notification] = []
        self.async_configs: dict[str, AsyncConfig] = {}
        self.cfn: dict[str, Any] = {}
        self._clients: dict[str, Any] = {}
        self._outputs: dict[str, str] = {}
        self._attributes: dict[tuple[str, str], str] = {}
        self._machine_outputs: dict[str, str] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:  # the dispatcher asks on every step: build each client once
            self._clients[service] = self.session.client(service)
        return self._clients[service]

    # -- deploy -----------------------------------------------------------------------------------
    def deploy(self) -> LocalStack:
        self.cfn = translate(self.template, self.region, f"s3://{CODE_BUCKET}/code.zip", self.root)
        deployable = self._split_wiring(self.cfn)
        _aliases_as_functions(deployable)
        self._create_secrets(deployable)
        self._stand_in_for_cloudfront(deployable)
        machines, machine_outputs = sfn.take_state_machines(deployable)
        # their roles' policies name them: by the ARN each will have
        deployable["Resources"] = _substitute(
            deployable["Resources"], {(m, None): sfn.local_arn(self, m) for m in machines}
        )
        s3 = self.client("s3")
        s3.create_bucket(Bucket=CODE_BUCKET)
        s3.put_object(Bucket=CODE_BUCKET, Key="code.zip", Body=_empty_zip())
        cfn = self.client("cloudformation")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "not supported by moto" for the types we emulate
            cfn.create_stack(
                StackName=self.stack_name,
                TemplateBody=json.dumps(deployable),
                Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in self.parameters.items()],
                Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
            )
        status = cfn.describe_stacks(StackName=self.stack_name)["Stacks"][0]["StackStatus"]
        if status != "CREATE_COMPLETE":
            raise RuntimeError(f"local stack {self.stack_name}: {status}")
        for res in cfn.describe_stack_resources(StackName=self.stack_name)["StackResources"]:
            # Types moto cannot create (bucket policies, invoke configs) have no physical id.
            if "PhysicalResourceId" in res:
                self.physical[res["LogicalResourceId"]] = res["PhysicalResourceId"]
        self._load_functions()
        arns = sfn.create_state_machines(self, machines)
        self.physical |= arns
        self._machine_outputs = {name: arns[logical_id] for name, logical_id in machine_outputs.items()}
        self._apply_bucket_settings()
        self._route_s3_notifications()
        self._route_ses_events()
        self._create_schedule_groups()
        self._create_receipt_rule_sets()
        return self

    def _create_secrets(self, deployable: dict[str, Any]) -> None:
        """moto's CloudFormation has no Secrets Manager types, but its Secrets Manager API keeps secrets and
        their version stages: each generated secret is created there with a value made as
        GenerateSecretString would, rotation schedules are left out (nothing fires them here: a test
        calls the rotation function's steps), and references to the secret become its ARN."""
        resources = deployable["Resources"]
        values: dict[tuple[str, str | None], str] = {}
        for logical_id, res in list(resources.items()):
            if res["Type"] == "AWS::SecretsManager::Secret":
                spec = res["Properties"].get("GenerateSecretString", {})
                value = self.client("secretsmanager").get_random_password(
                    PasswordLength=int(spec.get("PasswordLength", 32)),
                    ExcludePunctuation=bool(spec.get("ExcludePunctuation", False)),
                )["RandomPassword"]
                arn = self.client("secretsmanager").create_secret(
                    Name=f"{self.stack_name}-{logical_id}", SecretString=value
                )["ARN"]
                values[(logical_id, None)] = self.physical[logical_id] = arn
            elif res["Type"] != "AWS::SecretsManager::RotationSchedule":
                continue
            del resources[logical_id]
        if values:
            deployable["Resources"] = _substitute(resources, values)
            deployable["Outputs"] = _substitute(deployable.get("Outputs", {}), values)

    def resolve_dynamic(self, text: str) -> str:
        """``text`` with its ``{{resolve:secretsmanager:ID}}`` references read from the local secrets, as
        CloudFormation resolves them at deploy time."""

        def read(match: re.Match[str]) -> str:
            return self.client("secretsmanager").get_secret_value(SecretId=match[1])["SecretString"]

        return re.sub(r"\{\{resolve:secretsmanager:([^}]+?)\}\}", read, text)

    def _stand_in_for_cloudfront(self, deployable: dict[str, Any]) -> None:
        """moto's CloudFormation cannot create CloudFront resources, but its CloudFront API records
        distributions and invalidations: each distribution is created there (a stand-in with one origin),
        the other CloudFront resources get placeholder ids, and every reference to them in the deployable
        template is replaced by those values, as CloudFormation would resolve them."""
        resources = deployable["Resources"]
        values: dict[tuple[str, str | None], str] = {}
        for logical_id, res in list(resources.items()):
            if not res["Type"].startswith("AWS::CloudFront::"):
                continue
            if res["Type"] == "AWS::CloudFront::Distribution":
                origins = [
                    {
                        "Id": "site",
                        "DomainName": "site.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    },
                    *self._custom_origins(res),
                ]
                dist = self.client("cloudfront").create_distribution(
                    DistributionConfig={
                        "CallerReference": f"{self.stack_name}-{logical_id}",
                        "Comment": logical_id,
                        "Enabled": True,
                        "Origins": {"Quantity": len(origins), "Items": origins},
                        "DefaultCacheBehavior": {
                            "TargetOriginId": "site",
                            "ViewerProtocolPolicy": "redirect-to-https",
                        },
                    }
                )["Distribution"]
                values |= {(logical_id, None): dist["Id"], (logical_id, "DomainName"): dist["DomainName"]}
            else:
                values[(logical_id, None)] = f"local-{logical_id}"
            self.physical[logical_id] = values[(logical_id, None)]
            self._attributes |= {(k, a): v for (k, a), v in values.items() if a and k == logical_id}
            del resources[logical_id]
        if values:
            deployable["Resources"] = _substitute(resources, values)
            deployable["Outputs"] = _substitute(deployable.get("Outputs", {}), values)

    def _custom_origins(self, distribution: dict[str, Any]) -> list[dict[str, Any]]:
        """The distribution's custom origins (the API), with the headers CloudFront adds on the way to
        them: what the local origin sends and the rotation function rewrites."""
        origins = []
        for origin in distribution["Properties"]["DistributionConfig"].get("Origins", []):
            if "CustomOriginConfig" not in origin:
                continue
            headers = [
                {
                    "HeaderName": h["HeaderName"],
                    "HeaderValue": self.resolve_dynamic(_sub_text(h["HeaderValue"])),
                }
                for h in origin.get("OriginCustomHeaders", [])
            ]
            origins.append(
                {
                    "Id": origin["Id"],
                    "DomainName": f"{origin['Id']}.execute-api.{self.region}.amazonaws.com",
                    "CustomHeaders": {"Quantity": len(headers), "Items": headers},
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "https-only",
                    },
                }
            )
        return origins

    def origin_headers(self, origin_id: str) -> dict[str, str]:
        """The headers the distribution adds to requests for ``origin_id``, as it is configured now."""
        cloudfront = self.client("cloudfront")
        for logical_id, res in self.template.get("Resources", {}).items():
            if res.get("Type") != "AWS::CloudFront::Distribution" or logical_id not in self.physical:
                continue
            config = cloudfront.get_distribution_config(Id=self.physical[logical_id])["DistributionConfig"]
            for origin in config["Origins"]["Items"]:
                if origin["Id"] == origin_id:
                    items = (origin.get("CustomHeaders") or {}).get("Items") or []
                    return {h["HeaderName"]: h["HeaderValue"] for h in items}
        return {}

    def _create_schedule_groups(self) -> None:
        """moto's CloudFormation skips EventBridge Scheduler groups; its Scheduler API keeps schedules
        (never firing them: the dispatcher does). Locally a group's name is its logical id, as `resolve`
        gives the functions."""
        scheduler = self.client("scheduler")
        for logical_id, res in self.cfn["Resources"].items():
            if res["Type"] == "AWS::Scheduler::ScheduleGroup":
                name = self.resolve({"Ref": logical_id})
                self.physical.setdefault(logical_id, name)
                scheduler.create_schedule_group(Name=name)

    def _create_receipt_rule_sets(self) -> None:
        """moto's CloudFormation skips SES receipt rule sets; its SES API keeps them. Created inactive,
        as CloudFormation leaves them: activating one is the operator's step (`newsdrop doctor`)."""
        for logical_id, res in self.cfn["Resources"].items():
            if res["Type"] == "AWS::SES::ReceiptRuleSet":
                name = self.resolve({"Ref": logical_id})
                self.physical.setdefault(logical_id, name)
                self.client("ses").create_receipt_rule_set(RuleSetName=name)

    @property
    def schedule_groups(self) -> list[str]:
        return [
            self.resolve({"Ref": logical_id})
            for logical_id, res in self.cfn["Resources"].items()
            if res["Type"] == "AWS::Scheduler::ScheduleGroup"
        ]

    def _route_ses_events(self) -> None:
        """What moto's CloudFormation skips: SNS subscriptions to queues, and SES configuration-set event
        destinations (published by ``moto_patches`` on SendEmail)."""
        sns = self.client("sns")
        destinations: dict[str, list[tuple[str, frozenset[str]]]] = {}
        for res in self.cfn["Resources"].values():
            props = res.get("Properties", {})
            if res["Type"] == "AWS::SNS::Subscription" and props.get("Protocol") == "sqs":
                sns.subscribe(
                    TopicArn=self.resolve(props["TopicArn"]),
                    Protocol="sqs",
                    Endpoint=self.resolve(props["Endpoint"]),
                    Attributes={"RawMessageDelivery": str(props.get("RawMessageDelivery", False)).lower()},
                )
            if res["Type"] == "AWS::SES::ConfigurationSetEventDestination":
                dest = props["EventDestination"]
                if dest.get("Enabled", True) and "SnsDestination" in dest:
                    destinations.setdefault(self.resolve(props["ConfigurationSetName"]), []).append(
                        (
                            self.resolve(dest["SnsDestination"]["TopicARN"]),
                            frozenset(t.lower() for t in dest["MatchingEventTypes"]),
                        )
                    )
        moto_patches.ses_event_destinations.clear()  # one local stack per process at a time
        moto_patches.ses_event_destinations.update(destinations)

    def _apply_bucket_settings(self) -> None:
        """Bucket settings moto's CloudFormation ignores but the code relies on (versioned reads)."""
        s3 = self.client("s3")
        for logical_id, res in self.cfn["Resources"].items():
            if res["Type"] != "AWS::S3::Bucket":
                continue
            props, bucket = res.get("Properties", {}), self.physical[logical_id]
            if "VersioningConfiguration" in props:
                s3.put_bucket_versioning(
                    Bucket=bucket, VersioningConfiguration=props["VersioningConfiguration"]
                )
            if "PublicAccessBlockConfiguration" in props:
                s3.put_public_access_block(
                    Bucket=bucket, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
                )

    def _split_wiring(self, cfn: dict[str, Any]) -> dict[str, Any]:
        deployable = json.loads(json.dumps(cfn))
        resources = deployable["Resources"]
        for logical_id, res in list(resources.items()):
            props = res.get("Properties", {})
            if res["Type"] == "AWS::Lambda::EventSourceMapping":
                self.event_sources.append(
                    EventSource(
                        function=_ref_target(props["FunctionName"]),
                        source=props["EventSourceArn"],
                        props=props,
                    )
                )
                del resources[logical_id]
            elif res["Type"] == "AWS::Lambda::EventInvokeConfig":
                on_failure = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
                self.async_configs[_ref_target(props["FunctionName"])] = AsyncConfig(
                    max_retries=int(props.get("MaximumRetryAttempts", 2)), on_failure=on_failure
                )
            elif res["Type"] == "AWS::S3::Bucket":
                for conf in props.get("NotificationConfiguration", {}).get("LambdaConfigurations", []):
                    rules = {
                        r["Name"].lower(): self.resolve(r["Value"])
                        for r in conf.get("Filter", {}).get("S3Key", {}).get("Rules", [])
                    }
                    self.s3_notifications.append(
                        S3Notification(
                            bucket=logical_id,
                            function=_ref_target(conf["Function"]),
                            events=[conf["Event"]],
                            prefix=rules.get("prefix", ""),
                            suffix=rules.get("suffix", ""),
                        )
                    )
        return deployable

    def _load_functions(self) -> None:
        lam = self.client("lambda")
        for logical_id, res in self.cfn["Resources"].items():
            if res["Type"] != "AWS::Lambda::Function":
                continue
            conf = lam.get_function_configuration(FunctionName=self.physical[logical_id])
            env = conf.get("Environment", {}).get("Variables", {})
            # moto drops a variable whose Ref names a resource it cannot create (the SES configuration
            # set): locally that resource's name is its logical id, as in `resolve`
            for key, value in res["Properties"].get("Environment", {}).get("Variables", {}).items():
                if key not in env and isinstance(value, dict) and "Ref" in value:
                    env[key] = self.resolve(value)
            env = env | self.env_overrides
            self.functions[logical_id] = LocalFunction(
                logical_id=logical_id,
                name=conf["FunctionName"],
                arn=conf["FunctionArn"],
                code_dir=self.root / res["Metadata"]["LocalCodeUri"],
                handler=conf["Handler"],
                env={k: str(v) for k, v in env.items()},
                timeout=int(conf.get("Timeout", 60)),
            )

    def _route_s3_notifications(self) -> None:
        """moto sends S3 notifications to SQS only: point each Lambda notification at one local queue."""
        if not self.s3_notifications:
            return
        sqs, s3 = self.client("sqs"), self.client("s3")
        url = sqs.create_queue(QueueName=S3_EVENTS_QUEUE)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        by_bucket: dict[str, list[dict[str, Any]]] = {}
        for i, n in enumerate(self.s3_notifications):
            rules = [{"Name": k, "Value": v} for k, v in (("prefix", n.prefix), ("suffix", n.suffix)) if v]
            conf: dict[str, Any] = {"Id": f"{n.function}.{i}", "QueueArn": arn, "Events": n.events}
            if rules:
                conf["Filter"] = {"Key": {"FilterRules": rules}}
            by_bucket.setdefault(self.physical[n.bucket], []).append(conf)
        for bucket, confs in by_bucket.items():
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration={"QueueConfigurations": confs}
            )

    # -- lookups ----------------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        """Resolve the few intrinsics the wiring uses: Ref to a parameter or resource, GetAtt on deployed
        resources (Arn, StreamArn, QueueUrl), Sub with parameters."""
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            name = value["Ref"]
            return self.parameters.get(name) or self.physical.get(name, name)
        if "Fn::GetAtt" in value:
            logical_id, attr = value["Fn::GetAtt"]
            return self.attribute(logical_id, attr)
        raise ValueError(f"cannot resolve {value!r} locally")

    def attribute(self, logical_id: str, attr: str) -> str:
        if (logical_id, attr) not in self._attributes:  # deployed attributes do not change
            self._attributes[(logical_id, attr)] = self._read_attribute(logical_id, attr)
        return self._attributes[(logical_id, attr)]

    def _read_attribute(self, logical_id: str, attr: str) -> str:
        kind = self.cfn["Resources"][logical_id]["Type"]
        physical = self.physical[logical_id]
        if kind == "AWS::DynamoDB::Table":
            table = self.client("dynamodb").describe_table(TableName=physical)["Table"]
            return table["LatestStreamArn"] if attr == "StreamArn" else table["TableArn"]
        if kind == "AWS::SQS::Queue":
            # The physical id of a queue is its URL.
            attrs = self.client("sqs").get_queue_attributes(QueueUrl=physical, AttributeNames=["QueueArn"])
            return physical if attr == "QueueUrl" else attrs["Attributes"]["QueueArn"]
        if kind == "AWS::SNS::Topic":
            return physical
        raise ValueError(f"no local attribute {attr} for {logical_id} ({kind})")

    def queue_url_for_arn(self, arn: str) -> str:
        if ("url", arn) not in self._attributes:
            name = arn.rsplit(":", 1)[1]
            self._attributes[("url", arn)] = self.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]
        return self._attributes[("url", arn)]

    def outputs(self) -> dict[str, str]:
        if not self._outputs:
            stack = self.client("cloudformation").describe_stacks(StackName=self.stack_name)["Stacks"][0]
            self._outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
            self._outputs |= self._machine_outputs
        return dict(self._outputs)

    def output(self, name: str) -> str:
        return self.outputs()[name]

    def resource(self, logical_id: str) -> str:
        return self.physical[logical_id]


def _aliases_as_functions(deployable: dict[str, Any]) -> None:
    """moto's CloudFormation has no AWS::Lambda::Alias (AutoPublishAlias, for SnapStart) nor Version: what
    refers to an alias refers to its function here, as invoking the alias runs the function's code."""
    resources = deployable["Resources"]
    aliases = {
        logical_id: res["Properties"]["FunctionName"]
        for logical_id, res in resources.items()
        if res["Type"] in ("AWS::Lambda::Alias", "AWS::Lambda::Version")
    }
    if not aliases:
        return

    def swap(value: Any) -> Any:
        if isinstance(value, list):
            return [swap(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"} and value["Ref"] in aliases:
            return aliases[value["Ref"]]
        if "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
            text = value["Fn::Sub"]
            for logical_id, function in aliases.items():
                text = text.replace("${" + logical_id + "}", "${" + _ref_target(function) + ".Arn}")
            return {"Fn::Sub": text}
        return {k: swap(v) for k, v in value.items()}

    for logical_id in aliases:
        del resources[logical_id]
    deployable["Resources"] = swap(resources)
    deployable["Outputs"] = swap(deployable.get("Outputs", {}))


def _substitute(value: Any, values: dict[tuple[str, str | None], str]) -> Any:
    """``value`` with Ref/GetAtt/Sub references to the stand-in resources replaced by their values."""
    if isinstance(value, list):
        return [_substitute(v, values) for v in value]
    if not isinstance(value, dict):
        return value
    if "Ref" in value and (value["Ref"], None) in values:
        return values[(value["Ref"], None)]
    if "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        logical_id, attr = target if isinstance(target, list) else target.split(".", 1)
        if (logical_id, attr) in values:
            return values[(logical_id, attr)]
        if any(k == logical_id for k, _ in values):
            return f"local-{logical_id}-{attr}"
    if "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        text = value["Fn::Sub"]
        for (logical_id, attr), resolved in values.items():
            text = text.replace("${" + logical_id + ("." + attr if attr else "") + "}", resolved)
        return {"Fn::Sub": text}
    return {k: _substitute(v, values) for k, v in value.items()}


def _sub_text(value: Any) -> str:
    """A string, or the text of a Fn::Sub whose references were already substituted."""
    return value["Fn::Sub"] if isinstance(value, dict) else str(value)


def _ref_target(value: Any) -> str:
    if isinstance(value, dict) and "Ref" in value:
        return value["Ref"]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return value["Fn::GetAtt"][0]
    raise ValueError(f"expected a Ref or GetAtt, got {value!r}")


def _empty_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("README", "Code runs from the working tree; this placeholder satisfies CreateFunction.")
    return buf.getvalue()
