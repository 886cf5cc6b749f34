"""Load, validate and fingerprint policy files.

A policy is named by preset (`p0-p3`), by a file in the layer's `policies/` folder, or by path.
Validation errors name the file, the field path and the problem.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from helpdesk import prebuilt
from helpdesk.core.errors import PolicyError
from helpdesk.policy.models import Policy

PRESETS_DIR = Path(__file__).parent / "presets"
# Deployments add their own policy files beside the package in the layer (layers/helpdesk/policies/).
CUSTOM_DIR = Path(__file__).resolve().parents[2] / "policies"
DEFAULT_PRESET = "p0-p3"



def _yaml(text: str) -> Any:
    import yaml  # deferred: presets load from their compiled documents without a YAML parser

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loaders only


CLASSIFIERS_DIR = PRESETS_DIR / "classifiers"


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def _expand_classifier(data: dict[str, Any], source: str) -> None:
    """`classifier: common` names a shared rule file instead of writing the rules inline;
    `classifier: {shared: common, second_opinion: {...}}` uses the file and sets keys over it."""
    value = data.get("classifier")
    overrides: dict[str, Any] = {}
    if isinstance(value, dict) and "shared" in value:
        overrides = {k: v for k, v in value.items() if k != "shared"}
        value = value["shared"]
        if not isinstance(value, str):
            raise PolicyError(f"{source}: classifier.shared: expected the name of a shared rule file")
    if not isinstance(value, str):
        return
    path = CLASSIFIERS_DIR / f"{value}.yaml"
    if not path.is_file():
        raise PolicyError(f"{source}: classifier: no shared classifier rules named {value!r}")
    data["classifier"] = {**_yaml(path.read_text(encoding="utf-8")), **overrides}


def policy_path(name: str) -> Path:
    for candidate in (PRESETS_DIR / f"{name}.yaml", CUSTOM_DIR / f"{name}.yaml", Path(name)):
        if candidate.is_file():
            return candidate
    known = ", ".join(preset_names())
    raise PolicyError(f"{name}: no such preset or file (presets: {known})")


def preset_sources(name: str) -> list[str]:
    """Every text a preset is built from: its file and the shared classifier rules it may name."""
    return [(PRESETS_DIR / f"{name}.yaml").read_text(encoding="utf-8"),
            *(p.read_text(encoding="utf-8") for p in sorted(CLASSIFIERS_DIR.glob("*.yaml")))]


@lru_cache(maxsize=16)
def load_policy(name: str = DEFAULT_PRESET, *, prebuilt_ok: bool = True) -> Policy:
    """A preset comes from its compiled document when that was built from the same files (no YAML
    parsing); anything else is parsed and validated from its file."""
    path = policy_path(name)
    if prebuilt_ok and path.parent == PRESETS_DIR:
        document = prebuilt.policy_document(name, prebuilt.source_digest(*preset_sources(name)))
        if document is not None:
            return validate_policy(document, source=str(path))
    return parse_policy(path.read_text(encoding="utf-8"), source=str(path))


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    import yaml

    try:
        data = _yaml(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: expected a mapping at the top level")
    _expand_classifier(data, source)
    return validate_policy(data, source)


def validate_policy(data: dict[str, Any], source: str = "<policy>") -> Policy:
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError("\n".join(format_errors(source, exc))) from exc


def format_errors(source: str, exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        if where:
            lines.append(f"{source}: {where}: {message}")
        else:  # cross-reference checks carry their own field paths, one per problem
            lines.extend(f"{source}: {problem}" for problem in message.split("; "))
    return lines


def policy_document(policy: Policy) -> dict[str, Any]:
    return policy.model_dump(mode="json")


_digests: dict[int, tuple[Policy, str]] = {}


def policy_digest(policy: Policy) -> str:
    """A short content hash; tickets store it to find the policy snapshot they opened under."""
    cached = _digests.get(id(policy))
    if cached and cached[0] is policy:
        return cached[1]
    canonical = json.dumps(policy_document(policy), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    _digests[id(policy)] = (policy, digest)
    return digest
