"""Check YAML nodes against the small part of JSON Schema that script.schema.json uses.

Walking PyYAML's nodes (rather than loaded values) keeps every value's line, so each mistake is
reported as one line naming the file and line. Keywords understood: type, required, properties,
additionalProperties, items, minItems, minLength, minimum, maximum, exclusiveMinimum, oneOf, enum.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from podrender.errors import ScriptError
from podrender.yamlnodes import did_you_mean

_NULL = "tag:yaml.org,2002:null"


def load_schema() -> dict[str, Any]:
    """The published schema of a structured script (src/podrender/schemas/script.schema.json)."""
    from importlib import resources  # 5 ms (tempfile, shutil, bz2, lzma): only YAML/JSON scripts need it

    text = resources.files("podrender").joinpath("schemas", "script.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


class SchemaError(ScriptError):
    """A structured script does not match the schema."""


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def value_of(node: yaml.Node, loader: yaml.SafeLoader) -> Any:
    """The Python value of a scalar node."""
    return loader.construct_object(node) if isinstance(node, yaml.ScalarNode) else None


def _kind(node: yaml.Node, loader: yaml.SafeLoader) -> str:
    if isinstance(node, yaml.MappingNode):
        return "object"
    if isinstance(node, yaml.SequenceNode):
        return "array"
    value = value_of(node, loader)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


_NAMES = {"object": "a mapping", "array": "a list", "string": "text", "number": "a number", "integer": "a whole number",
          "null": "empty", "boolean": "true/false"}  # fmt: skip


class Validator:
    def __init__(self, loader: yaml.SafeLoader, path: str) -> None:
        self.loader = loader
        self.path = path

    def fail(self, node: yaml.Node, where: str, message: str) -> SchemaError:
        return SchemaError(f"{where}: {message}" if where else message, path=self.path, line=_line(node))

    def check(self, node: yaml.Node, schema: dict[str, Any], where: str) -> None:
        if "oneOf" in schema:
            self._one_of(node, schema["oneOf"], where)
        kind = _kind(node, self.loader)
        wanted = schema.get("type")
        if wanted is not None:
            ok = kind == wanted or (wanted == "number" and kind == "integer")
            if wanted == "integer" and kind == "number" and float(value_of(node, self.loader)).is_integer():
                ok = True
            if not ok:
                raise self.fail(node, where, f"must be {_NAMES[wanted]}, not {_NAMES[kind]}")
        if kind == "object":
            self._object(node, schema, where)
        elif kind == "array":
            assert isinstance(node, yaml.SequenceNode)
            if len(node.value) < schema.get("minItems", 0):
                raise self.fail(node, where, f"needs at least {schema['minItems']} item(s)")
            if "items" in schema:
                for n, item in enumerate(node.value, start=1):
                    self.check(item, schema["items"], f"{where} item {n}")
        elif kind == "string":
            value = str(value_of(node, self.loader))
            if len(value.strip()) < schema.get("minLength", 0):
                raise self.fail(node, where, "must not be empty")
            if "enum" in schema and value not in schema["enum"]:
                raise self.fail(node, where, f"must be one of {', '.join(schema['enum'])}, not '{value}'")
        elif kind in ("integer", "number"):
            value = value_of(node, self.loader)
            if "minimum" in schema and value < schema["minimum"]:
                raise self.fail(node, where, f"must be at least {schema['minimum']}, not {value}")
            if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
                raise self.fail(node, where, f"must be more than {schema['exclusiveMinimum']}, not {value}")
            if "maximum" in schema and value > schema["maximum"]:
                raise self.fail(node, where, f"must be at most {schema['maximum']}, not {value}")

    def _object(self, node: yaml.Node, schema: dict[str, Any], where: str) -> None:
        assert isinstance(node, yaml.MappingNode)
        props: dict[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        seen: set[str] = set()
        for knode, vnode in node.value:
            key = value_of(knode, self.loader)
            if not isinstance(key, str):
                raise self.fail(knode, where, "keys must be plain names")
            if key in seen:
                raise self.fail(knode, where, f"key '{key}' appears twice")
            seen.add(key)
            inner = f"{where}: {key}" if where else key
            if key in props:
                self.check(vnode, props[key], inner)
            elif extra is False:
                raise self.fail(knode, where, f"unknown key '{key}'{did_you_mean(key, props)}")
            elif isinstance(extra, dict):
                self.check(vnode, extra, f"{where} '{key}'" if where else key)
        missing = [k for k in schema.get("required", []) if k not in seen]
        if missing:
            raise self.fail(node, where, f"missing '{missing[0]}'")

    def _one_of(self, node: yaml.Node, options: list[dict[str, Any]], where: str) -> None:
        errors: list[tuple[dict[str, Any], SchemaError]] = []
        for option in options:
            try:
                self.check(node, option, where)
            except SchemaError as exc:
                errors.append((option, exc))
        if len(errors) < len(options):
            return
        kind = _kind(node, self.loader)
        keys: set[str] = set()
        if isinstance(node, yaml.MappingNode):
            keys = {str(value_of(k, self.loader)) for k, _ in node.value}
        # Report the mistake against the alternative the writer evidently meant.
        for option, error in errors:
            required = set(option.get("required", []))
            if option.get("type") == kind and (kind != "object" or not required or keys & required):
                raise error
        shapes = [_describe(o) for o in options]
        raise self.fail(node, where, "must be one of: " + "; ".join(shapes))


def _describe(option: dict[str, Any]) -> str:
    if option.get("type") == "object" and option.get("required"):
        return "{" + ", ".join(f"{k}: ..." for k in option["required"]) + "}"
    return _NAMES.get(str(option.get("type")), "a value")


def validate(node: yaml.Node, loader: yaml.SafeLoader, path: str, schema: dict[str, Any] | None = None) -> None:
    """Raise SchemaError (one line, with the line number) when `node` does not match the schema."""
    Validator(loader, path).check(node, schema or load_schema(), "")
