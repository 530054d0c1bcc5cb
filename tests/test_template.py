"""template.yaml deployed into moto's CloudFormation defines everything the code relies on."""

from __future__ import annotations

import json
import re
from pathlib import Path

from newsdrop.local.sam import load_template

ROOT = Path(__file__).resolve().parents[1]
ENV_READ = re.compile(r"os\.environ\[\"([A-Z_]+)\"\]")


def env_vars_read_by(code_dir: Path) -> set[str]:
    """Environment variables a function cannot start without: os.environ["X"] in its handler and in the
    newsdrop modules the handler imports."""
    names = set()
    handler = (code_dir / "app.py").read_text()
    names |= set(ENV_READ.findall(handler))
    for module in re.findall(r"from newsdrop\.([a-z_.]+) import", handler):
        path = ROOT / "shared" / "newsdrop" / f"{module.replace('.', '/')}.py"
        if path.exists():
            names |= set(ENV_READ.findall(path.read_text()))
    return names


def test_every_function_has_its_code_and_every_env_var_it_reads(stack):
    assert stack.functions, "no functions deployed"
    for fn in stack.functions.values():
        assert (fn.code_dir / "app.py").exists(), fn.code_dir
        missing = env_vars_read_by(fn.code_dir) - set(fn.env)
        assert not missing, f"{fn.logical_id} reads {missing} but the template does not define them"


def test_tables_the_code_uses_exist_with_the_keys_it_uses(stack):
    ddb = stack.client("dynamodb")
    for fn in stack.functions.values():
        for name, value in fn.env.items():
            if name.endswith("_TABLE"):
                table = ddb.describe_table(TableName=value)["Table"]
                keys = {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]}
                assert keys == {"pk": "HASH", "sk": "RANGE"}, (name, keys)
    articles = ddb.describe_table(TableName=stack.resource("ArticlesTable"))["Table"]
    assert articles["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"


def test_ingest_is_wired_to_incoming_drops_with_retries_and_a_dead_letter_queue(stack):
    notifications = [n for n in stack.s3_notifications if n.function == "IngestFunction"]
    for n in notifications:
        assert n.bucket == "DropBucket" and n.prefix == stack.parameters["IncomingPrefix"]
    # Created files are ingested; deleted ones withdraw their article.
    assert sorted(e for n in notifications for e in n.events) == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    config = stack.async_configs["IngestFunction"]
    assert config.max_retries == 2
    dlq = stack.resolve(config.on_failure)
    assert stack.queue_url_for_arn(dlq) == stack.resource("IngestDeadLetterQueue")


def test_functions_run_python_313_on_arm64_with_the_layer(stack):
    lam = stack.client("lambda")
    for fn in stack.functions.values():
        assert lam.get_function_configuration(FunctionName=fn.name)["Runtime"] == "python3.13"
        # moto's CloudFormation drops Architectures and Layers: read them from the translated template.
        props = stack.cfn["Resources"][fn.logical_id]["Properties"]
        assert props["Architectures"] == ["arm64"]
        layers = [stack.cfn["Resources"][layer["Ref"]] for layer in props["Layers"]]
        assert all(layer["Type"] == "AWS::Lambda::LayerVersion" for layer in layers)
        assert "newsdrop package" in layers[0]["Properties"]["Description"]


def test_each_library_layer_is_built_with_bytecode_and_carried_only_where_imported():
    """The libraries only some functions need come as layers that shared/Makefile builds with Python
    3.13 bytecode (SAM's python builder ships none, and /var/task is read-only); the functions that render
    nothing and take no address carry only the newsdrop layer."""
    root = Path(__file__).resolve().parents[1]
    template = load_template(root / "template.yaml")["Resources"]
    makefile = (root / "shared" / "Makefile").read_text()
    library_layers = {
        name
        for name, r in template.items()
        if r["Type"] == "AWS::Serverless::LayerVersion" and name != "NewsdropLayer"
    }
    assert library_layers == {
        "BodyLibrariesLayer",
        "TemplatingLayer",
        "AddressValidationLayer",
        "EmbeddingLayer",
        "ImagesLayer",
    }
    for name in library_layers:
        assert template[name]["Metadata"]["BuildMethod"] == "makefile"
        assert f"build-{name}:" in makefile
    assert "$(COMPILE)" in makefile.split("build-BodyLibrariesLayer build-TemplatingLayer")[1]
    carried = {
        name: {ref["Ref"] for ref in r["Properties"].get("Layers", [])}
        for name, r in template.items()
        if r["Type"] == "AWS::Serverless::Function"
    }
    # the ingest, and the archive import's batches (the same Ingestor)
    assert {n for n, layers in carried.items() if "BodyLibrariesLayer" in layers} == {
        "IngestFunction",
        "ArchiveFunction",
    }
    assert {n for n, layers in carried.items() if "ImagesLayer" in layers} == {"ImageFunction"}  # Pillow
    # the model (90 MB) goes only where articles are embedded (the archive's replay embeds them too)
    assert {n for n, layers in carried.items() if "EmbeddingLayer" in layers} == {
        "RelatedFunction",
        "RebuildFunction",
        "ArchiveFunction",
    }
    assert "sha256sum -c" in makefile.split("build-EmbeddingLayer:\n")[1]
    assert "--require-hashes" in makefile.split("build-EmbeddingLayer:\n")[1]
    for stream_consumer in ("RelatedFunction", "RebuildFunction"):
        assert carried[stream_consumer] == {"EmbeddingLayer"}, stream_consumer
    for stream_consumer in ("NotifyFunction", "FanoutFunction"):
        assert not carried[stream_consumer], stream_consumer


def test_the_drop_bucket_is_private_encrypted_and_refuses_plain_http(stack):
    props = stack.cfn["Resources"]["DropBucket"]["Properties"]  # moto ignores these settings
    assert all(props["PublicAccessBlockConfiguration"].values())
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert sse["SSEAlgorithm"] in ("AES256", "aws:kms")
    [policy] = [
        r
        for r in stack.cfn["Resources"].values()
        if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": "DropBucket"}
    ]
    [deny] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_every_function_and_every_dead_letter_queue_has_an_alarm_to_the_operators(stack):
    resources = stack.cfn["Resources"]
    alarms = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert all(a["AlarmActions"] == [{"Ref": "OperatorsTopic"}] for a in alarms)

    def watched(metric: str) -> set[str]:
        out = set()
        for a in alarms:
            if a.get("MetricName") == metric:  # metric-math alarms (throttles) have none
                [dim] = a["Dimensions"]
                value = dim["Value"]
                out.add(value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0])
        return out

    functions = {k for k, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    assert functions and functions <= watched("Errors")
    # every place a failure ends up: S3 async destinations, stream on-failure queues, queue redrives
    text = json.dumps(resources)
    dead_letters = {
        q
        for q, r in resources.items()
        if r["Type"] == "AWS::SQS::Queue"
        and re.search(rf'"(deadLetterTargetArn|Destination)": \{{"Fn::GetAtt": \["{q}", "Arn"\]', text)
    }
    assert {"IngestDeadLetterQueue", "RelatedDeadLetterQueue", "RebuildDeadLetterQueue"} <= dead_letters
    assert dead_letters <= watched("ApproximateNumberOfMessagesVisible")
