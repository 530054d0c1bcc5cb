"""`newsdrop doctor` on the template deployed in moto: a ready stack passes, each broken part fails with
what to do about it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newsdrop import doctor
from newsdrop.cli import main
from newsdrop.local.audience import prepare_mail, seed_subscribers


def _target(stack) -> doctor.Target:
    target = doctor.deployed_target(stack.session, stack.stack_name)
    # The local stack drives its event source mappings itself (moto's stack has none): the template's.
    target.resources = stack.cfn["Resources"]
    target.outputs = stack.outputs()
    return target


@pytest.fixture
def ready(stack):
    """What docs/deploy.md has an operator do after `sam deploy`."""
    prepare_mail(stack)  # the signing secret, the SES domain identity with DKIM
    ses, sqs, sns = stack.client("ses"), stack.client("sqs"), stack.client("sns")
    ses.set_active_receipt_rule_set(RuleSetName=stack.resource("UnsubscribeMailRuleSet"))
    url = sqs.create_queue(QueueName="pager")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=stack.output("OperatorsTopicArn"), Protocol="sqs", Endpoint=arn)
    return stack


def _by_name(checks):
    return {c.name: c for c in checks}


def test_a_ready_stack_passes_every_check(ready, capsys):
    checks = _by_name(doctor.run_checks(_target(ready)))
    assert {c.status for c in checks.values()} <= {doctor.OK, doctor.WARN}, [
        (c.name, c.found) for c in checks.values() if c.status == doctor.FAIL
    ]
    assert set(checks) >= {
        "SES identity",
        "SES sending",
        "signing secret",
        "receipt rule set",
        "distribution",
        "origin secret",
        "site certificate",
        "alarm topic",
        "dead-letter queues",
        "schedule group",
        "stream lag: Related",
        "stream lag: Notify",
        "stream lag: Publisher",
    }
    assert checks["SES identity"].found == "example.com: verified, DKIM signing"
    # moto's SES is a sandbox (200 a day); with nobody confirmed yet that is a warning, not a failure.
    assert checks["SES sending"].status == doctor.WARN and "sandbox" in checks["SES sending"].found
    from newsdrop.deadletters import dead_letter_queues

    every_dlq = dead_letter_queues(ready.cfn["Resources"])  # the template's, whatever features add
    assert len(every_dlq) >= 11 and checks["dead-letter queues"].found == f"all {len(every_dlq)} empty"
    # Through the command, as an operator runs it: a table, exit 0.
    assert main(["doctor", "--stack", ready.stack_name]) == 0
    out = capsys.readouterr().out
    assert "receipt rule set" in out and "FAIL" not in out


def test_each_broken_part_fails_with_what_to_do(ready, capsys):
    stack = ready
    seed_subscribers(stack, "3")  # confirmed readers, in the sandbox
    ses = stack.client("ses")
    # Someone else's rule set is active (there is one per account and region).
    ses.create_receipt_rule_set(RuleSetName="corporate-mail")
    ses.set_active_receipt_rule_set(RuleSetName="corporate-mail")
    stack.client("ssm").delete_parameter(Name=f"/{stack.parameters['SigningSecretParameter']}")
    stack.client("sqs").send_message(QueueUrl=stack.resource("RelatedDeadLetterQueue"), MessageBody="{}")
    stack.client("scheduler").delete_schedule_group(Name=stack.resource("LifecycleScheduleGroup"))
    # the secret changed by hand, not by its rotation (which writes it into the distribution first)
    stack.client("secretsmanager").put_secret_value(
        SecretId=stack.resource("OriginVerifySecret"), SecretString="x" * 48
    )
    target = _target(stack)
    # a minute ago: CloudWatch (and moto) answer for whole seconds before EndTime, never this second
    target.client("cloudwatch").put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[
            {
                "MetricName": "IteratorAge",
                "Dimensions": [{"Name": "FunctionName", "Value": stack.functions["NotifyFunction"].name}],
                "Timestamp": datetime.now(UTC) - timedelta(minutes=1),
                "Value": 25 * 60 * 1000,
                "Unit": "Milliseconds",
            }
        ],
    )
    checks = _by_name(doctor.run_checks(target))
    failed = {name for name, c in checks.items() if c.status == doctor.FAIL}
    assert failed == {
        "receipt rule set",
        "signing secret",
        "dead letters: RelatedDeadLetterQueue",
        "schedule group",
        "stream lag: Notify",
        "SES sending",
        "origin secret",
    }
    assert "refuses every sign-up" in checks["origin secret"].found
    assert checks["origin secret"].fix.startswith("aws secretsmanager rotate-secret --secret-id ")
    assert "active: corporate-mail" in checks["receipt rule set"].found
    assert "this replaces corporate-mail" in checks["receipt rule set"].fix
    assert checks["signing secret"].fix.startswith(
        "aws ssm put-parameter --type SecureString --name /newsdrop/"
    )
    assert checks["dead letters: RelatedDeadLetterQueue"].found == "1 message(s)"
    assert checks["stream lag: Notify"].found == "25 min behind"
    assert (
        "3 confirmed subscribers" in checks["SES sending"].found
        and "production access" in checks["SES sending"].fix
    )
    assert main(["doctor", "--stack", stack.stack_name]) == 1
    captured = capsys.readouterr()
    assert "check(s) failed" in captured.err and "signing secret" in captured.err


def test_an_unverified_sender_and_an_unwatched_alarm_topic_fail(stack):
    checks = _by_name(doctor.run_checks(_target(stack)))  # nothing of docs/deploy.md done yet
    assert checks["SES identity"].status == doctor.FAIL
    assert "create-email-identity --email-identity example.com" in checks["SES identity"].fix
    assert checks["alarm topic"].status == doctor.FAIL and "OperatorEmail" in checks["alarm topic"].fix
    assert checks["receipt rule set"].found == "no active set; ours: UnsubscribeMailRuleSet"
