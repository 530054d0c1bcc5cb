"""template.yaml -> plain CloudFormation, with the SAM transform applied by samtranslator itself."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import yaml
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

INTRINSICS_WITH_FN = {
    "GetAtt",
    "Sub",
    "Join",
    "Select",
    "Split",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Base64",
    "Cidr",
    "Transform",
}


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that understands CloudFormation's short-form tags (!Ref, !Sub, !GetAtt...)."""


def _intrinsic(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    if suffix == "Condition":
        return {"Condition": value}
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 (a SafeLoader subclass)


def translate(
    template: dict[str, Any], region: str, code_location: str, root: Path | None = None
) -> dict[str, Any]:
    """Apply the SAM transform. Local CodeUri/ContentUri paths become `code_location` (an s3:// URI),
    as `sam package` would do; the originals are kept in Metadata.LocalCodeUri for the dispatcher. A
    state machine's local DefinitionUri (an .asl.json file, relative to `root`) is read in as its
    Definition, and its path kept in Metadata.LocalDefinitionUri."""
    template = copy.deepcopy(template)
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        uri = props.get("DefinitionUri")
        if isinstance(uri, str) and not uri.startswith("s3://") and root is not None:
            resource.setdefault("Metadata", {})["LocalDefinitionUri"] = uri
            props["Definition"] = json.loads((root / uri).read_text())
            del props["DefinitionUri"]
        for field in ("CodeUri", "ContentUri"):
            if isinstance(props.get(field), str) and not props[field].startswith("s3://"):
                resource.setdefault("Metadata", {})["LocalCodeUri"] = props[field]
                props[field] = code_location
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    # Managed policy names would need IAM to resolve; the template uses policy templates and ARNs only.
    return translator.translate(template, parameter_values={}, get_managed_policy_map=dict)
