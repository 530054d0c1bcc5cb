"""`newsdrop doctor`: is a deployed (or `newsdrop dev`) stack ready to take drops and send mail?

Each check reads the account as it is now and says what to do when it fails. The stack is described by
``Target``: its parameters, outputs, the physical ids of its resources, and its (SAM-translated) template,
from which the dead-letter queues and the stream consumers are found, as `newsdrop run` finds them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from newsdrop.deadletters import dead_letter_depths, dead_letter_queues

OK, WARN, FAIL = "ok", "warn", "FAIL"
ITERATOR_AGE_LIMIT = timedelta(minutes=10)  # the IteratorAge alarms' threshold
CERTIFICATE_MARGIN = timedelta(days=14)


@dataclass
class Check:
    name: str
    status: str
    found: str
    fix: str = ""


@dataclass
class Target:
    session: Any
    parameters: dict[str, str]
    outputs: dict[str, str]
    physical: dict[str, str]  # logical id -> physical id
    resources: dict[str, Any]  # the translated template's resources
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def client(self, service: str, **kwargs: Any) -> Any:
        return self.session.client(service, **kwargs)

    def name(self, output: str, logical_id: str) -> str:
        """A resource's name from the stack's output, else its physical id; the local stack names the
        resources moto's CloudFormation cannot create by their logical ids."""
        value = self.outputs.get(output, "")
        return value if value and "${" not in value else self.physical.get(logical_id, logical_id)


def deployed_target(session: Any, stack_name: str) -> Target:
    """A stack deployed by CloudFormation: the processed template (after the SAM transform)."""
    cfn = session.client("cloudformation")
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    body = cfn.get_template(StackName=stack_name, TemplateStage="Processed")["TemplateBody"]
    if isinstance(body, str):
        import json

        body = json.loads(body)
    physical = {}
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        for res in page["StackResourceSummaries"]:
            if res.get("PhysicalResourceId"):
                physical[res["LogicalResourceId"]] = res["PhysicalResourceId"]
    return Target(
        session=session,
        parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])},
        outputs={o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
        physical=physical,
        resources=body["Resources"],
    )


def local_target(session: Any, state: dict[str, Any]) -> Target:
    """The `newsdrop dev` stack: moto's CloudFormation knows what it created; the template (with the
    event source mappings the local stack drives itself) is this checkout's."""
    from newsdrop.local.sam import load_template, translate
    from newsdrop.local.stack import PROJECT_ROOT

    target = deployed_target(session, state.get("stack_name", "newsdrop-local"))
    target.resources = translate(
        load_template(PROJECT_ROOT / "template.yaml"), "us-east-1", "s3://local/code.zip", PROJECT_ROOT
    )["Resources"]
    target.outputs = state["outputs"]
    return target


def run_checks(target: Target) -> list[Check]:
    checks: list[Check] = []
    for check in CHECKS:
        try:
            checks.extend(check(target))
        except ClientError as err:  # one unreadable service must not hide the other checks
            checks.append(
                Check(
                    check.__name__.removeprefix("check_").replace("_", " "),
                    FAIL,
                    _error(err),
                    "check this role's permissions and the region, then run the doctor again",
                )
            )
    return checks


def _error(err: ClientError) -> str:
    return f"{err.response['Error'].get('Code')}: {err.response['Error'].get('Message', '')}"


# -- the checks ------------------------------------------------------------------------------------
def check_ses_identity(t: Target) -> Iterable[Check]:
    identity = t.parameters.get("SenderIdentity", "")
    ses = t.client("ses")
    verified = ses.get_identity_verification_attributes(Identities=[identity])["VerificationAttributes"]
    status = verified.get(identity, {}).get("VerificationStatus", "NotStarted")
    if status != "Success":
        yield Check(
            "SES identity",
            FAIL,
            f"{identity}: verification {status}",
            f"aws sesv2 create-email-identity --email-identity {identity}; publish the DKIM CNAMEs it "
            "returns (docs/deploy.md 'SES')",
        )
        return
    if "@" in identity:
        yield Check(
            "SES identity",
            WARN,
            f"{identity}: an address, verified, without domain DKIM",
            "verify the domain instead (Easy DKIM): mailbox providers want DKIM aligned with From",
        )
        return
    dkim = ses.get_identity_dkim_attributes(Identities=[identity])["DkimAttributes"].get(identity, {})
    if not dkim.get("DkimEnabled") or dkim.get("DkimVerificationStatus") != "Success":
        yield Check(
            "SES identity",
            FAIL,
            f"{identity}: verified, DKIM {dkim.get('DkimVerificationStatus', 'NotStarted')}",
            f"aws sesv2 get-email-identity --email-identity {identity}: publish its three DKIM CNAMEs",
        )
        return
    yield Check("SES identity", OK, f"{identity}: verified, DKIM signing")


def check_ses_sending(t: Target) -> Iterable[Check]:
    quota = t.client("ses").get_send_quota()
    per_day, sent = int(quota.get("Max24HourSend", 0)), int(quota.get("SentLast24Hours", 0))
    production = _production_access(t)
    if production is None:  # SES v2's GetAccount unavailable: the sandbox's own quota gives it away
        production = not (per_day <= 200 and float(quota.get("MaxSendRate", 1)) <= 1)
    readers = confirmed_subscribers(t)
    found = (
        f"{'production' if production else 'sandbox'}; quota {per_day:,}/24 h "
        f"({sent:,} sent), {quota.get('MaxSendRate', 0):g}/s; {readers:,} confirmed subscribers"
    )
    rate = int(t.parameters.get("MaxSendConcurrency", 0) or 0) * int(
        t.parameters.get("SendRatePerWorker", 0) or 0
    )
    if not production and readers:
        yield Check(
            "SES sending",
            FAIL,
            found,
            "request production access (SES console, Account dashboard): the sandbox mails only "
            "verified addresses",
        )
    elif not production:
        yield Check(
            "SES sending", WARN, found, "request production access before the first subscriber confirms"
        )
    elif readers > per_day:
        yield Check(
            "SES sending",
            FAIL,
            found,
            "one article to everyone exceeds the daily quota: ask SES for a higher quota",
        )
    elif rate > float(quota.get("MaxSendRate", 0)):
        yield Check(
            "SES sending",
            WARN,
            found + f"; the stack sends up to {rate}/s",
            "lower MaxSendConcurrency x SendRatePerWorker to the SES rate, or ask for a higher rate",
        )
    else:
        yield Check("SES sending", OK, found)


def _production_access(t: Target) -> bool | None:
    try:
        return bool(t.client("sesv2").get_account().get("ProductionAccessEnabled"))
    except (ClientError, NotImplementedError) as err:
        if isinstance(err, ClientError) and "AccessDenied" in err.response["Error"].get("Code", ""):
            raise
        return None


def confirmed_subscribers(t: Target) -> int:
    table = t.outputs.get("SubscribersTableName")
    if not table:
        return 0
    count = 0
    pages = (
        t.client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=table,
            Select="COUNT",
            FilterExpression="sk = :p AND #s = :c",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":p": {"S": "PROFILE"}, ":c": {"S": "confirmed"}},
        )
    )
    for page in pages:
        count += page["Count"]
    return count


def check_signing_secret(t: Target) -> Iterable[Check]:
    name = "/" + t.parameters.get("SigningSecretParameter", "").lstrip("/")
    try:
        param = t.client("ssm").get_parameter(Name=name)["Parameter"]
    except ClientError as err:
        if err.response["Error"]["Code"] != "ParameterNotFound":
            raise
        yield Check(
            "signing secret",
            FAIL,
            f"{name}: missing (every subscription fails)",
            f'aws ssm put-parameter --type SecureString --name {name} --value "$(openssl rand -hex 32)"',
        )
        return
    if param["Type"] != "SecureString":
        yield Check(
            "signing secret",
            FAIL,
            f"{name}: a {param['Type']}",
            "delete it and create it again as a SecureString (every link already sent stops working)",
        )
        return
    yield Check("signing secret", OK, f"{name}: SecureString")


def check_receipt_rule_set(t: Target) -> Iterable[Check]:
    ours = t.name("UnsubscribeMailRuleSetName", "UnsubscribeMailRuleSet")
    active = t.client("ses").describe_active_receipt_rule_set().get("Metadata", {}).get("Name")
    if active == ours:
        yield Check("receipt rule set", OK, f"{ours} is the active set (unsubscribe by mail works)")
        return
    found = f"active: {active}, ours: {ours}" if active else f"no active set; ours: {ours}"
    fix = f"aws ses set-active-receipt-rule-set --rule-set-name {ours}"
    if active:
        fix += f" (this replaces {active}: move its rules into ours first, docs/deploy.md)"
    yield Check("receipt rule set", FAIL, found, fix)


def check_distribution(t: Target) -> Iterable[Check]:
    distribution_id = t.name("SiteDistributionId", "SiteDistribution")
    dist = t.client("cloudfront").get_distribution(Id=distribution_id)["Distribution"]
    if dist["Status"] != "Deployed":
        yield Check(
            "distribution",
            FAIL,
            f"{distribution_id}: {dist['Status']}",
            "wait (a change takes minutes to reach every edge), then run the doctor again",
        )
    else:
        yield Check("distribution", OK, f"{distribution_id}: Deployed, {dist['DomainName']}")
    domain = t.parameters.get("SiteDomainName", "")
    if not domain:
        yield Check("site certificate", OK, "no custom domain (the distribution's own certificate)")
        return
    arn = dist["DistributionConfig"].get("ViewerCertificate", {}).get("ACMCertificateArn", "")
    if not arn:
        yield Check(
            "site certificate",
            FAIL,
            f"{domain}: no certificate on the distribution",
            "set SiteCertificateArn, or SiteHostedZoneId with the stack in us-east-1",
        )
        return
    cert = t.client("acm", region_name="us-east-1").describe_certificate(CertificateArn=arn)["Certificate"]
    not_after = cert.get("NotAfter")
    if cert["Status"] != "ISSUED":
        yield Check(
            "site certificate",
            FAIL,
            f"{domain}: certificate {cert['Status']}",
            "publish the certificate's DNS validation CNAME (aws acm describe-certificate)",
        )
    elif (
        not_after
        and not_after - t.now() < CERTIFICATE_MARGIN
        and cert.get("RenewalEligibility") != "ELIGIBLE"
    ):
        yield Check(
            "site certificate",
            FAIL,
            f"{domain}: expires {not_after:%Y-%m-%d}, not renewable",
            "keep the validation CNAME in DNS so ACM renews it, or request a new certificate",
        )
    else:
        yield Check(
            "site certificate",
            OK,
            f"{domain}: ISSUED" + (f", until {not_after:%Y-%m-%d}" if not_after else ""),
        )


def check_origin_secret(t: Target) -> Iterable[Check]:
    """The subscription API refuses what comes without the distribution's secret header: the two must
    agree, or every sign-up gets 403."""
    from newsdrop.notify.origin import sent_header, stage_value

    secret_id = t.name("OriginVerifySecretArn", "OriginVerifySecret")
    config = t.client("cloudfront").get_distribution_config(
        Id=t.name("SiteDistributionId", "SiteDistribution")
    )
    sent = sent_header(config["DistributionConfig"])
    secrets = t.client("secretsmanager")
    rotate = f"aws secretsmanager rotate-secret --secret-id {secret_id} (the rotation writes it into the distribution)"
    stages = {stage: stage_value(secrets, secret_id, stage) for stage in ("AWSCURRENT", "AWSPENDING")}
    if sent is not None and sent == stages.get("AWSCURRENT"):
        rotation = secrets.describe_secret(SecretId=secret_id).get("RotationEnabled", False)
        yield Check(
            "origin secret",
            OK if rotation else WARN,
            "the distribution sends the current value"
            + ("; rotated every 30 days" if rotation else "; no rotation"),
            "" if rotation else "deploy the stack again (sam deploy): its rotation schedule is part of it",
        )
    elif sent is not None and sent == stages.get("AWSPENDING"):
        yield Check("origin secret", WARN, "a rotation is under way (the API accepts both values)", "")
    else:
        yield Check(
            "origin secret",
            FAIL,
            "the distribution does not send the secret: the API refuses every sign-up (403)",
            rotate,
        )


def check_alarm_topic(t: Target) -> Iterable[Check]:
    topic = t.outputs["OperatorsTopicArn"]
    pages = t.client("sns").get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic)
    subs = [s for page in pages for s in page["Subscriptions"]]
    confirmed = [s for s in subs if s["SubscriptionArn"].startswith("arn:")]
    if confirmed:
        yield Check("alarm topic", OK, ", ".join(f"{s['Protocol']}:{s['Endpoint']}" for s in confirmed))
    elif subs:
        yield Check(
            "alarm topic",
            FAIL,
            f"{len(subs)} subscription(s) pending confirmation",
            "click the link in the 'AWS Notification - Subscription Confirmation' email",
        )
    else:
        yield Check(
            "alarm topic",
            FAIL,
            "no subscriber: alarms reach no one",
            f"set OperatorEmail and deploy, or aws sns subscribe --topic-arn {topic} --protocol email "
            "--notification-endpoint you@example.org",
        )


def check_dead_letters(t: Target) -> Iterable[Check]:
    urls = {name: t.physical[name] for name in dead_letter_queues(t.resources) if name in t.physical}
    depths = dead_letter_depths(t.client("sqs"), urls)
    full = {name: n for name, n in depths.items() if n}
    if not full:
        yield Check("dead-letter queues", OK, f"all {len(depths)} empty")
        return
    for name, count in full.items():
        yield Check(
            f"dead letters: {name}",
            FAIL,
            f"{count} message(s)",
            f"read why, fix the cause, then send them back: docs/operations.md, 'Dead letters' ({name})",
        )


def check_iterator_ages(t: Target) -> Iterable[Check]:
    functions = sorted(
        {
            res["Properties"]["FunctionName"]["Ref"]
            for res in t.resources.values()
            if res["Type"] == "AWS::Lambda::EventSourceMapping"
            and "StreamArn" in str(res["Properties"]["EventSourceArn"])
        }
    )
    cloudwatch = t.client("cloudwatch")
    end = t.now()
    for logical_id in functions:
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda",
            MetricName="IteratorAge",
            Dimensions=[{"Name": "FunctionName", "Value": t.physical.get(logical_id, logical_id)}],
            StartTime=end - timedelta(minutes=15),
            EndTime=end,
            Period=300,
            Statistics=["Maximum"],
        )["Datapoints"]
        age = max((p["Maximum"] for p in points), default=None)
        name = f"stream lag: {logical_id.removesuffix('Function')}"
        if age is None:
            yield Check(name, OK, "no records read in 15 minutes")
        elif age > ITERATOR_AGE_LIMIT.total_seconds() * 1000:
            yield Check(
                name,
                FAIL,
                f"{age / 60000:.0f} min behind",
                f"read {logical_id}'s logs for errors or throttles; records older than 24 h are lost",
            )
        else:
            yield Check(name, OK, f"{age / 1000:.0f} s behind at most")


def check_schedule_group(t: Target) -> Iterable[Check]:
    name = t.name("LifecycleScheduleGroupName", "LifecycleScheduleGroup")
    try:
        group = t.client("scheduler").get_schedule_group(Name=name)
    except ClientError as err:
        if err.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        yield Check(
            "schedule group",
            FAIL,
            f"{name}: missing (embargoes and expiries cannot be scheduled)",
            "deploy the stack again (sam deploy): the group is part of it",
        )
        return
    state = group.get("State", "ACTIVE")
    yield Check(
        "schedule group",
        OK if state == "ACTIVE" else FAIL,
        f"{name}: {state}",
        "" if state == "ACTIVE" else "deploy the stack again",
    )


CHECKS = [
    check_ses_identity,
    check_ses_sending,
    check_signing_secret,
    check_receipt_rule_set,
    check_distribution,
    check_origin_secret,
    check_alarm_topic,
    check_dead_letters,
    check_iterator_ages,
    check_schedule_group,
]


def print_table(checks: list[Check], out: Any = None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False)
    for column in ("check", "status", "found", "what to do"):
        table.add_column(column, overflow="fold")
    style = {OK: "green", WARN: "yellow", FAIL: "bold red"}
    for c in checks:
        table.add_row(c.name, f"[{style[c.status]}]{c.status}[/]", c.found, c.fix)
    Console(file=out, width=160).print(table)
