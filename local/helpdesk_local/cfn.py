"""Read template.yaml the way CloudFormation would: short-form tags (cfn-lint's decoder) and the
intrinsics we use.

The local runtime provisions from this file, so the template stays the one list of resources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


def _plain(value: Any) -> Any:
    """cfn-lint's nodes (which remember their line numbers) as plain dicts, lists and strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template with short-form tags expanded (`!Ref X` -> `{"Ref": "X"}`), by cfn-lint's decoder."""
    from cfnlint.decode import cfn_yaml

    return dict(_plain(cfn_yaml.loads(path.read_text(encoding="utf-8"), str(path))))


NO_VALUE = object()  # AWS::NoValue: the property or list element is left out


@dataclass
class Resolver:
    """Resolves intrinsics against parameters and the physical ids of provisioned resources."""

    template: dict[str, Any]
    parameters: dict[str, Any] = field(default_factory=dict)
    physical: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    pseudo: dict[str, str] = field(default_factory=dict)

    def condition(self, name: str) -> bool:
        return bool(self.evaluate(self.template.get("Conditions", {})[name]))

    def evaluate(self, expression: Any) -> Any:
        """Condition functions: Fn::Equals, Fn::Not, Fn::And, Fn::Or and Condition references."""
        if isinstance(expression, dict) and len(expression) == 1:
            (key, arg), = expression.items()
            if key == "Fn::Equals":
                left, right = (self.resolve(a) for a in arg)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self.evaluate(arg[0])
            if key == "Fn::And":
                return all(self.evaluate(a) for a in arg)
            if key == "Fn::Or":
                return any(self.evaluate(a) for a in arg)
            if key == "Condition":
                return self.condition(arg)
        return self.resolve(expression)

    def parameter(self, name: str) -> Any:
        spec = self.template.get("Parameters", {}).get(name)
        if spec is None and name not in self.parameters:
            raise KeyError(f"unknown parameter {name}")
        value = self.parameters[name] if name in self.parameters else (spec or {}).get("Default")
        if (spec or {}).get("Type") == "CommaDelimitedList" and isinstance(value, str):
            return [d.strip() for d in value.split(",")]
        return value

    def ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.template.get("Parameters", {}) or name in self.parameters:
            return self.parameter(name)
        if name in self.physical:
            return self.physical[name]
        raise KeyError(f"Ref to {name}, which is neither a parameter nor a provisioned resource")

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in (self.resolve(v) for v in value) if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            intrinsic = self._INTRINSICS.get(key)
            if intrinsic is not None:
                return intrinsic(self, arg)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def _ref(self, name: str) -> Any:
        return NO_VALUE if name == "AWS::NoValue" else self.ref(name)

    def _get_att(self, arg: Any) -> Any:
        logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
        return self.attributes[(logical, attribute)]

    def _join(self, arg: Any) -> str:
        sep, items = arg
        return sep.join(str(i) for i in self.resolve(items))

    def _select(self, arg: Any) -> Any:
        index, items = arg
        return self.resolve(items)[int(self.resolve(index))]

    def _split(self, arg: Any) -> list[str]:
        sep, text = arg
        return str(self.resolve(text)).split(sep)

    def _if(self, arg: Any) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(name) else when_false)

    _INTRINSICS: ClassVar[dict[str, Any]] = {
        "Ref": _ref, "Fn::GetAtt": _get_att, "Fn::Sub": lambda self, arg: self._sub(arg), "Fn::Join": _join,
        "Fn::Select": _select, "Fn::Split": _split, "Fn::If": _if,
    }

    def _sub(self, arg: Any) -> str:
        text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        extra = {k: self.resolve(v) for k, v in extra.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in extra:
                return str(extra[name])
            if "." in name:
                logical, attribute = name.split(".", 1)
                return str(self.attributes[(logical, attribute)])
            return str(self.ref(name))

        return re.sub(r"\$\{([^}!]+)\}", replace, text)
