#!/usr/bin/env python3
"""Generates the typed Python layer of the SDK from the operation description.

Reads ``sdk-rust/codegen/operations.json``, the normalised description of
``openapi.json`` that ``mismatch-codegen`` writes (operations with their
parameters merged and resolved, body and response kinds, pagination, and the
component schemas), and writes two modules of ``python/mismatch_recruiter/``,
plus the stubtest allowlist and the export block of ``__init__.py``:

* ``_models.py``: one dataclass per object schema (components and inline
  objects), with ``from_dict`` / ``to_dict``; string enums become
  ``Literal[...]`` aliases. It imports only ``_convert``, so ``_errors`` can
  use the models without an import circle;
* ``_client.py``: ``Client`` and ``AsyncClient`` with one method per operation
  (the snake_case operationId), path parameters positional, query parameters
  and JSON body properties as keyword arguments, binary bodies as ``file``, and
  ``iter_*`` helpers for cursor-paginated list operations. It imports
  ``_base``, ``_convert`` and ``_models``.

Every call goes through the native ``call(operation_id, args)`` entry point, so
the Python layer holds no HTTP logic. ``from_dict`` does not re-validate types:
the Rust SDK has already decoded each response into its typed (generated)
model before handing it over as JSON. Standard library only, so it runs before
anything is installed.

``cargo run -p mismatch-codegen`` runs this script after writing the
description; run it alone after changing only this script.

Usage: generate.py [--description PATH] [--models-out PATH] [--client-out PATH] [--check]
  --check  exit 1 (and write nothing) if the output would change.
"""

from __future__ import annotations

import argparse
import difflib
import json
import keyword
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_DESCRIPTION = HERE.parent / "sdk-rust" / "codegen" / "operations.json"
DEFAULT_MODELS_OUT = HERE / "python" / "mismatch_recruiter" / "_models.py"
DEFAULT_CLIENT_OUT = HERE / "python" / "mismatch_recruiter" / "_client.py"
DEFAULT_ALLOWLIST = HERE / "stubtest-allowlist.txt"
DEFAULT_INIT = HERE / "python" / "mismatch_recruiter" / "__init__.py"
BEGIN_EXPORTS = "# BEGIN GENERATED EXPORTS (generate.py writes this block; do not edit it)\n"
END_EXPORTS = "# END GENERATED EXPORTS\n"

RESERVED_ARGS = {"self", "file", "idempotency_key", "extra_headers", "args", "body", "data"}
JSON_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
# Methods that carry an Idempotency-Key (the Rust SDK makes one when none is
# given and repeats it on every retry), so callers may choose it.
KEYED_METHODS = ("POST", "PATCH", "DELETE")


class SpecError(Exception):
    """The document uses something the generator cannot express."""


def snake(name: str) -> str:
    """``createApiKey`` -> ``create_api_key`` (the rule every SDK test uses)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def pascal(name: str) -> str:
    parts = re.split(r"[^0-9A-Za-z]+", name)
    out = "".join(p[:1].upper() + p[1:] for p in parts if p)
    if not out or out[0].isdigit():
        out = "Model" + out
    return out


def identifier(name: str) -> str:
    ident = re.sub(r"\W", "_", name)
    if not ident or ident[0].isdigit():
        ident = "_" + ident
    if keyword.iskeyword(ident) or keyword.issoftkeyword(ident):
        ident += "_"
    return ident


def docstring(text: str, indent: str) -> list[str]:
    text = text.strip().replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if not text:
        return []
    lines = text.splitlines()
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    out = [f'{indent}"""{lines[0]}']
    out += [f"{indent}{line}".rstrip() for line in lines[1:]]
    out.append(f'{indent}"""')
    return out


def comment(text: str, indent: str) -> list[str]:
    return [f"{indent}#: {line}".rstrip() for line in text.strip().splitlines()]


@dataclass
class PyType:
    """A Python annotation plus how to convert a decoded JSON value into it."""

    ann: str
    # Expression converting the decoded JSON value written as ``@`` (e.g.
    # ``_list(Skill.from_dict, @)``), or None when the JSON value already is the
    # Python value (str, int, list[str], Literal, Any...).
    conv: str | None = None
    nullable: bool = False

    def annotation(self) -> str:
        return f"{self.ann} | None" if self.nullable and self.ann not in {"Any", "None"} else self.ann

    def apply(self, expr: str) -> str:
        return expr if self.conv is None else self.conv.replace("@", expr)

    def callable(self) -> str:
        """The conversion as a callable expression."""
        if self.conv is None:
            return "_same"
        if self.conv.endswith("(@)") and "(" not in self.conv[:-3] and "@" not in self.conv[:-3]:
            return self.conv[:-3]
        return f"lambda v: {self.apply('v')}"


@dataclass
class Field:
    json_name: str
    py_name: str
    type: PyType
    required: bool
    description: str


@dataclass
class Model:
    name: str
    description: str
    fields: list[Field] = field(default_factory=list)


@dataclass
class Param:
    json_name: str
    py_name: str
    type: PyType
    required: bool
    location: str  # path | query | header | body
    description: str


@dataclass
class Operation:
    operation_id: str
    method: str
    path: str
    summary: str
    description: str
    params: list[Param]
    body_kind: str  # none | json | json_whole | binary
    body_required: bool
    result: PyType | None
    deprecated: bool
    paginated: bool


class Generator:
    def __init__(self, description: dict[str, Any]) -> None:
        self.description = description
        self.schemas: dict[str, Any] = description.get("schemas", {})
        self.models: dict[str, Model] = {}
        self.aliases: dict[str, str] = {}
        self.names = {name: pascal(name) for name in self.schemas}
        if len(set(self.names.values())) != len(self.names):
            raise SpecError("two component schemas map to the same Python name")
        self._resolving: set[str] = set()
        self.resolved: dict[str, PyType] = {}

    # --- schemas --------------------------------------------------------------

    def ref_name(self, ref: str) -> str:
        prefix = "#/components/schemas/"
        if not ref.startswith(prefix):
            raise SpecError(f"unsupported $ref {ref}")
        name = ref[len(prefix) :]
        if name not in self.schemas:
            raise SpecError(f"dangling $ref {ref}")
        return name

    def deref(self, schema: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while "$ref" in schema:
            schema = self.schemas[self.ref_name(schema["$ref"])]
            seen += 1
            if seen > 32:
                raise SpecError("$ref cycle")
        return schema

    def component(self, name: str) -> PyType:
        if name in self.resolved:
            return self.resolved[name]
        py_name = self.names[name]
        schema = self.schemas[name]
        if self.is_model(schema):
            result = PyType(py_name, f"{py_name}.from_dict(@)")
            self.resolved[name] = result
            self.build_model(py_name, schema)
            return result
        if name in self._resolving:
            raise SpecError(f"recursive non-object schema {name}")
        self._resolving.add(name)
        inner = self.type_of(schema, py_name)
        self._resolving.discard(name)
        if inner.ann not in {"Any", "None"}:
            # Named enums, unions and aliases stay named, so users can import them.
            self.aliases[py_name] = inner.ann
            result = PyType(py_name, inner.conv, inner.nullable)
        else:
            result = inner
        self.resolved[name] = result
        return result

    def is_model(self, schema: dict[str, Any]) -> bool:
        if "allOf" in schema and len(schema["allOf"]) > 1:
            return True
        types = schema.get("type")
        is_object = types == "object" or (isinstance(types, list) and "object" in types)
        return bool(schema.get("properties")) and (is_object or types is None)

    def object_parts(self, schema: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        """Properties and required names, merging ``allOf`` members."""
        props: dict[str, Any] = {}
        required: set[str] = set()
        for member in schema.get("allOf", []):
            member_props, member_required = self.object_parts(self.deref(member))
            props.update(member_props)
            required |= member_required
        props.update(schema.get("properties", {}))
        required |= set(schema.get("required", []))
        return props, required

    def build_model(self, py_name: str, schema: dict[str, Any]) -> None:
        if py_name in self.models:
            return
        model = Model(py_name, schema.get("description", "") or schema.get("title", ""))
        self.models[py_name] = model  # registered first: recursive models refer to themselves
        props, required = self.object_parts(schema)
        used: set[str] = set()
        for json_name, prop in props.items():
            py = identifier(json_name)
            while py in used or py in {"from_dict", "to_dict"}:
                py += "_"
            used.add(py)
            ptype = self.type_of(prop, py_name + pascal(json_name))
            model.fields.append(
                Field(json_name, py, ptype, json_name in required, prop.get("description", ""))
            )

    def type_of(self, schema: dict[str, Any] | bool, context: str) -> PyType:
        """The Python type for a schema; ``context`` names inline models."""
        if schema is True or schema == {}:
            return PyType("Any")
        if schema is False:
            raise SpecError(f"schema 'false' at {context}")
        assert isinstance(schema, dict)
        if "$ref" in schema:
            return self.component(self.ref_name(schema["$ref"]))
        if "const" in schema:
            return PyType(f"Literal[{schema['const']!r}]")
        if "enum" in schema:
            values = [v for v in schema["enum"] if v is not None]
            nullable = len(values) != len(schema["enum"])
            return PyType(f"Literal[{', '.join(repr(v) for v in values)}]", None, nullable)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self.union(schema[key], context, schema.get("discriminator"))
        if "allOf" in schema:
            if len(schema["allOf"]) == 1 and not schema.get("properties"):
                return self.type_of(schema["allOf"][0], context)
            self.build_model(context, schema)
            return PyType(context, f"{context}.from_dict(@)")
        types = schema.get("type")
        nullable = False
        if isinstance(types, list):
            nullable = "null" in types
            rest = [t for t in types if t != "null"]
            if len(rest) != 1:
                if not rest:
                    return PyType("None")
                return PyType(" | ".join(self.simple(t, schema, context).ann for t in rest), None, nullable)
            types = rest[0]
        if types is None:
            if schema.get("properties"):
                types = "object"
            elif "items" in schema:
                types = "array"
            else:
                return PyType("Any")
        result = self.simple(types, schema, context)
        return replace(result, nullable=result.nullable or nullable)

    def simple(self, type_name: str, schema: dict[str, Any], context: str) -> PyType:
        if type_name == "string" and schema.get("format") == "binary":
            return PyType("bytes")
        if type_name in JSON_TYPES:
            return PyType(JSON_TYPES[type_name])
        if type_name == "null":
            return PyType("None")
        if type_name == "array":
            item = self.type_of(schema.get("items", {}), context + "Item")
            ann = f"list[{item.annotation()}]"
            if item.conv is None:
                return PyType(ann)
            return PyType(ann, f"_list({item.callable()}, @)")
        if type_name == "object":
            if schema.get("properties"):
                self.build_model(context, schema)
                return PyType(context, f"{context}.from_dict(@)")
            extra = schema.get("additionalProperties", True)
            if extra is True or extra == {}:
                return PyType("dict[str, Any]")
            value = self.type_of(extra, context + "Value")
            ann = f"dict[str, {value.annotation()}]"
            if value.conv is None:
                return PyType(ann)
            return PyType(ann, f"_map({value.callable()}, @)")
        raise SpecError(f"unsupported type {type_name!r} at {context}")

    def union(self, variants: list[Any], context: str, discriminator: Any) -> PyType:
        non_null = [v for v in variants if not (isinstance(v, dict) and v.get("type") == "null")]
        nullable = len(non_null) != len(variants)
        if len(non_null) == 1:
            inner = self.type_of(non_null[0], context)
            return replace(inner, nullable=inner.nullable or nullable)
        tag = self.tag_of(non_null, discriminator)
        types = [
            self.type_of(v, context + self.variant_name(v, i, tag)) for i, v in enumerate(non_null)
        ]
        ann = " | ".join(dict.fromkeys(t.annotation() for t in types))
        if all(t.conv is None for t in types):
            return PyType(ann, None, nullable)
        if tag is not None:
            prop, values = tag
            table = ", ".join(f"{v!r}: {t.callable()}" for v, t in zip(values, types))
            return PyType(ann, f"_tagged(@, {prop!r}, {{{table}}})", nullable)
        # Variants that need converting first: a plain value would accept anything.
        convs = ", ".join(t.callable() for t in sorted(types, key=lambda t: t.conv is None))
        return PyType(ann, f"_first(@, [{convs}])", nullable)

    @staticmethod
    def variant_name(variant: Any, index: int, tag: tuple[str, list[Any]] | None) -> str:
        """Names an inline union member: its title, its tag value, or its position."""
        if isinstance(variant, dict) and variant.get("title"):
            return pascal(str(variant["title"]))
        if tag is not None:
            return pascal(str(tag[1][index]))
        return str(index + 1)

    def tag_of(self, variants: list[Any], discriminator: Any) -> tuple[str, list[Any]] | None:
        """The property whose single constant value tells the variants apart."""
        objects = [self.deref(v) for v in variants]
        candidates: set[str] | None = None
        for obj in objects:
            props, _ = self.object_parts(obj)
            single = {
                name
                for name, prop in props.items()
                if "const" in prop or (isinstance(prop.get("enum"), list) and len(prop["enum"]) == 1)
            }
            candidates = single if candidates is None else candidates & single
        if isinstance(discriminator, dict) and discriminator.get("propertyName"):
            wanted = discriminator["propertyName"]
            candidates = {wanted} if candidates and wanted in candidates else candidates
        if not candidates:
            return None
        prop_name = sorted(candidates)[0]
        values = []
        for obj in objects:
            prop = self.object_parts(obj)[0][prop_name]
            values.append(prop["const"] if "const" in prop else prop["enum"][0])
        if len(set(map(repr, values))) != len(values):
            return None
        return prop_name, values

    # --- operations -----------------------------------------------------------

    def operations(self) -> list[Operation]:
        ops = [self.operation(op) for op in self.description.get("operations", [])]
        seen: set[str] = set()
        for op in ops:
            if op.operation_id in seen:
                raise SpecError(f"duplicate operationId {op.operation_id}")
            seen.add(op.operation_id)
        return ops

    def operation(self, op: dict[str, Any]) -> Operation:
        """One operation of the description (parameters merged and resolved,
        the Idempotency-Key left to the transport, body and response kinds
        decided by mismatch-codegen)."""
        op_id = op.get("id")
        if not op_id:
            raise SpecError(f"{op.get('method')} {op.get('path')} has no id")
        context = pascal(op_id)
        params: list[Param] = []
        taken: set[str] = set(RESERVED_ARGS)
        for param in op.get("params", []):
            name, location = param["name"], param["in"]
            py = identifier(snake(name.replace("-", "")))
            while py in taken:
                py += "_"
            taken.add(py)
            ptype = self.type_of(param.get("schema", {}), context + pascal(name))
            params.append(Param(name, py, ptype, bool(param["required"]), location, param.get("description", "")))
        body_kind, body_required = "none", False
        body = op.get("body")
        if body is not None:
            body_required = bool(body.get("required"))
            if body["kind"] == "json":
                body_kind = self.body_params(body.get("schema") or {}, context, params, taken, body_required)
            elif body["kind"] in ("binary", "text"):
                # Raw bytes either way: the native layer sends them as given.
                body_kind = "binary"
            else:
                raise SpecError(f"{op_id}: unknown body kind {body['kind']!r}")
        return Operation(
            operation_id=op_id,
            method=op["method"],
            path=op["path"],
            summary=op.get("summary", ""),
            description=op.get("description", ""),
            params=params,
            body_kind=body_kind,
            body_required=body_required,
            result=self.result_type(op.get("response") or {}, context),
            deprecated=bool(op.get("deprecated")),
            paginated=op.get("pagination") is not None,
        )

    def body_params(
        self, schema: dict[str, Any], context: str, params: list[Param], taken: set[str], required: bool
    ) -> str:
        """Flattens an object body (or a union of objects) into keyword arguments."""
        resolved = self.deref(schema)
        variants = resolved.get("oneOf") or resolved.get("anyOf")
        objects = [self.deref(v) for v in variants] if variants else [resolved]
        if not all(self.is_model(o) or (o.get("type") == "object" and "properties" in o) for o in objects):
            ptype = self.type_of(schema, context + "Body")
            params.append(Param("body", "body", ptype, required, "body_whole", resolved.get("description", "")))
            return "json_whole"
        merged: dict[str, Any] = {}
        always: set[str] | None = None
        for obj in objects:
            props, req = self.object_parts(obj)
            props = {k: v for k, v in props.items() if not self.deref(v).get("readOnly")}
            for name, prop in props.items():
                merged.setdefault(name, prop)
            always = req if always is None else always & req
        for name, prop in merged.items():
            py = identifier(name)
            while py in taken:
                py += "_"
            taken.add(py)
            ptype = self.type_of(prop, context + pascal(name))
            description = prop.get("description", "") or self.deref(prop).get("description", "")
            params.append(Param(name, py, ptype, required and name in (always or set()), "body", description))
        return "json"

    def result_type(self, response: dict[str, Any], context: str) -> PyType | None:
        kind = response.get("kind", "none")
        if kind == "json":
            return self.type_of(response.get("schema") or {}, context + "Response")
        # The Rust SDK hands over non-JSON bodies (CSV, plain text) as a string.
        if kind == "text":
            return PyType("str")
        if kind == "binary":
            return PyType("Any")
        return None


# --- rendering ------------------------------------------------------------------


GENERATED_NOTE = """\
# Generated by sdk-python/generate.py from openapi.json. DO NOT EDIT.
# Regenerate with `python sdk-python/generate.py`; the tests fail when this file
# differs from a fresh regeneration.
"""

MODELS_DOC = '"""Models and enums of the API: dataclasses with ``from_dict`` / ``to_dict``."""'
CLIENT_DOC = '"""``Client`` and ``AsyncClient``: one method per operation of the API."""'

# What a generated module may import, by source module; only the names its
# code uses are imported.
STDLIB_IMPORTS = {
    "collections.abc": ("AsyncIterator", "Iterator", "Mapping"),
    "dataclasses": ("dataclass",),
    "typing": ("Any", "Literal", "cast"),
}
CONVERT_HELPERS = ("_first", "_list", "_map", "_opt", "_same", "_tagged", "_to_json")
BASE_NAMES = ("AsyncTransport", "FileInput", "SyncTransport", "_parse", "_read_file", "_read_file_async")


def import_lines(body: str, sources: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    """``from X import ...`` lines for the names of ``sources`` that ``body`` uses."""
    out: list[str] = []
    for module, names in sources:
        used = sorted(n for n in names if re.search(rf"(?<![\w.]){re.escape(n)}\b", body))
        if not used:
            continue
        if len(used) <= 3:
            out.append(f"from {module} import {', '.join(used)}")
        else:
            out += [f"from {module} import ("] + [f"    {n}," for n in used] + [")"]
    return out


def module_text(doc: str, body: list[str], package_sources: list[tuple[str, tuple[str, ...]]]) -> str:
    """A generated module: note, docstring, imports (stdlib, then the package's), body."""
    text = "\n".join(body)
    out = [*GENERATED_NOTE.splitlines(), doc, "", "from __future__ import annotations", ""]
    out += import_lines(text, list(STDLIB_IMPORTS.items()))
    package = import_lines(text, package_sources)
    if package:
        out += ["", *package]
    return "\n".join(out) + "\n" + text + "\n"


def render_model(model: Model) -> list[str]:
    out = ["", "", "@dataclass(kw_only=True)", f"class {model.name}:"]
    out += docstring(model.description or f"The ``{model.name}`` schema.", "    ")
    if model.fields:
        out.append("")
    for f in model.fields:
        out += comment(f.description, "    ")
        ann = f.type.annotation()
        if not f.required and not ann.endswith("| None") and ann not in {"Any", "None"}:
            ann += " | None"
        default = "" if f.required else " = None"
        out.append(f"    {f.py_name}: {ann}{default}")
    out += ["", "    @classmethod", f"    def from_dict(cls, data: Mapping[str, Any]) -> {model.name}:"]
    out.append('        """Builds the model from decoded JSON; unknown keys are ignored."""')
    if not model.fields:
        out.append("        return cls()")
    else:
        out.append("        return cls(")
        for f in model.fields:
            access = f'data[{f.json_name!r}]' if f.required else f"data.get({f.json_name!r})"
            if f.type.conv is None:
                value = access
            elif f.required and not f.type.nullable:
                value = f.type.apply(access)
            else:
                value = f"_opt({f.type.callable()}, {access})"
            out.append(f"            {f.py_name}={value},")
        out.append("        )")
    out += ["", "    def to_dict(self) -> dict[str, Any]:"]
    out.append('        """The JSON object for this model; unset optional fields are left out."""')
    out.append("        out: dict[str, Any] = {}")
    for f in model.fields:
        if f.required:
            out.append(f"        out[{f.json_name!r}] = _to_json(self.{f.py_name})")
        else:
            out.append(f"        if self.{f.py_name} is not None:")
            out.append(f"            out[{f.json_name!r}] = _to_json(self.{f.py_name})")
    out.append("        return out")
    return out


def param_annotation(p: Param) -> str:
    ann = p.type.annotation()
    if not p.required and not ann.endswith("| None") and ann not in {"Any", "None"}:
        ann += " | None"
    return ann


def signature(op: Operation, flavour: str, *, for_iter: bool = False) -> list[str]:
    """The parameter list (one per line) of a generated method."""
    positional = [p for p in op.params if p.location == "path"]
    keyword_only = [p for p in op.params if p.location != "path"]
    if for_iter:
        keyword_only = [p for p in keyword_only if p.json_name != "cursor"]
    lines = ["self,"]
    for p in positional:
        lines.append(f"{p.py_name}: {param_annotation(p)},")
    if op.body_kind == "binary":
        lines.append("file: FileInput,")
    lines.append("*,")
    ordered = [p for p in keyword_only if p.required] + [p for p in keyword_only if not p.required]
    for p in ordered:
        default = "" if p.required else " = None"
        lines.append(f"{p.py_name}: {param_annotation(p)}{default},")
    if op.method in KEYED_METHODS and not for_iter:
        lines.append("idempotency_key: str | None = None,")
    lines.append("extra_headers: Mapping[str, str] | None = None,")
    return lines


def method_doc(op: Operation) -> list[str]:
    text = op.summary.strip()
    if op.description.strip() and op.description.strip() != text:
        text = f"{text}\n\n{op.description.strip()}" if text else op.description.strip()
    if not text:
        text = f"Calls ``{op.operation_id}``."
    text += f"\n\n``{op.method} {op.path}`` (operation ``{op.operation_id}``)."
    documented = [p for p in op.params if p.description.strip()]
    text += "\n"
    if op.body_kind == "binary":
        text += "\n:param file: the document: bytes, a path, or a binary file object."
    for p in documented:
        text += f"\n:param {p.py_name}: {' '.join(p.description.split())}"
        if op.body_kind == "binary" and p.location == "query" and p.json_name == "filename":
            text += " Defaults to the name of the file when ``file`` is a path or a named file."
    if op.method in KEYED_METHODS:
        text += (
            "\n:param idempotency_key: sent as ``Idempotency-Key`` (and reused on retries);"
            " a random one is used when omitted."
        )
    text += "\n:param extra_headers: additional HTTP headers for this call."
    if op.result is not None:
        text += f"\n:returns: the decoded ``{op.result.annotation()}``."
    text += "\n:raises MismatchError: a subclass per failure (see ``mismatch_recruiter._errors``)."
    if op.deprecated:
        text += "\n\n.. deprecated:: the API marks this operation as deprecated."
    return docstring(text, "        ")


def call_body(op: Operation, awaiting: bool) -> list[str]:
    out = ["        args: dict[str, Any] = {}"]
    headers_expr = "extra_headers"
    header_params = [p for p in op.params if p.location == "header"]
    if header_params:
        out.append("        headers: dict[str, str] = dict(extra_headers or {})")
        for p in header_params:
            if p.required:
                out.append(f"        headers[{p.json_name!r}] = str({p.py_name})")
            else:
                out.append(f"        if {p.py_name} is not None:")
                out.append(f"            headers[{p.json_name!r}] = str({p.py_name})")
        headers_expr = "headers"
    for p in op.params:
        if p.location in {"path", "query"}:
            if p.required:
                out.append(f"        args[{p.json_name!r}] = _to_json({p.py_name})")
            else:
                out.append(f"        if {p.py_name} is not None:")
                out.append(f"            args[{p.json_name!r}] = _to_json({p.py_name})")
    body_bytes = "None"
    if op.body_kind == "json":
        out.append("        body: dict[str, Any] = {}")
        for p in op.params:
            if p.location != "body":
                continue
            if p.required:
                out.append(f"        body[{p.json_name!r}] = _to_json({p.py_name})")
            else:
                out.append(f"        if {p.py_name} is not None:")
                out.append(f"            body[{p.json_name!r}] = _to_json({p.py_name})")
        out.append("        args['body'] = body")
    elif op.body_kind == "json_whole":
        out.append("        if body is not None:")
        out.append("            args['body'] = _to_json(body)")
    elif op.body_kind == "binary":
        reader = "await _read_file_async(file)" if awaiting else "_read_file(file)"
        # `file_name`, not `name`: an operation may have a parameter `name`.
        out.append(f"        content, file_name = {reader}")
        body_bytes = "content"
        filename = next((p for p in op.params if p.json_name == "filename" and p.location == "query"), None)
        if filename is not None:
            out.append(f"        if {filename.py_name} is None and file_name is not None:")
            out.append("            args['filename'] = file_name")
    idem = "idempotency_key" if op.method in KEYED_METHODS else "None"
    prefix = "await " if awaiting else ""
    out.append(f"        data = {prefix}self._request(")
    out.append(f"            {op.operation_id!r},")
    out.append("            args,")
    out.append(f"            idempotency_key={idem},")
    out.append(f"            body_bytes={body_bytes},")
    out.append(f"            headers={headers_expr},")
    out.append("        )")
    result = op.result
    if result is None:
        out.append("        del data")
    elif result.conv is None:
        out.append(f"        return cast({result.annotation()!r}, data)")
    elif result.nullable:
        out.append(f"        return _parse(lambda v: _opt({result.callable()}, v), data, {op.operation_id!r})")
    else:
        out.append(f"        return _parse({result.callable()}, data, {op.operation_id!r})")
    return out


def page_item(op: Operation, models: dict[str, Model]) -> str | None:
    """The item type of a cursor-paginated list operation, if this is one."""
    if not op.paginated or op.result is None:
        return None
    model = models.get(op.result.ann)
    if model is None:
        return None
    names = {f.json_name: f for f in model.fields}
    items, cursor = names.get("items"), names.get("next_cursor")
    if items is None or cursor is None or not items.type.ann.startswith("list["):
        return None
    return items.type.ann[len("list[") : -1]


def render_client(ops: list[Operation], models: dict[str, Model], flavour: str) -> list[str]:
    is_async = flavour == "async"
    name, base = ("AsyncClient", "AsyncTransport") if is_async else ("Client", "SyncTransport")
    doc = (
        "asyncio client of the mismatch-recruiter API.\n\n"
        "Use as ``async with AsyncClient(...) as client:``; every method is a coroutine."
        if is_async
        else "Blocking client of the mismatch-recruiter API.\n\n"
        "Use as ``with Client(...) as client:``; safe to share between threads."
    )
    doc += (
        "\n\n``base_url`` and ``api_key`` default to the ``MISMATCH_BASE_URL`` and\n"
        "``MISMATCH_API_KEY`` environment variables; explicit arguments win.\n"
        "Which failures are retried is documented on ``__init__`` (``max_retries``)."
    )
    out = ["", "", f"class {name}({base}):"]
    out += docstring(doc, "    ")
    for op in ops:
        result = "None" if op.result is None else op.result.annotation()
        out.append("")
        out.append(f"    {'async ' if is_async else ''}def {snake(op.operation_id)}(")
        out += [f"        {line}" for line in signature(op, flavour)]
        out.append(f"    ) -> {result}:")
        out += method_doc(op)
        out += call_body(op, is_async)
        item = page_item(op, models)
        if item is None:
            continue
        list_method = snake(op.operation_id)
        iter_name = "iter_" + (list_method[5:] if list_method.startswith("list_") else list_method)
        forwarded = [p for p in op.params if p.location != "body" and p.json_name != "cursor"]
        out.append("")
        out.append(f"    {'async ' if is_async else ''}def {iter_name}(")
        out += [f"        {line}" for line in signature(op, flavour, for_iter=True)]
        out.append(f"    ) -> {'AsyncIterator' if is_async else 'Iterator'}[{item}]:")
        out += docstring(
            f"Every item of ``{list_method}``, following ``next_cursor`` page by page.", "        "
        )
        out.append("        cursor: str | None = None")
        out.append("        while True:")
        call_args = ", ".join(
            [p.py_name for p in forwarded if p.location == "path"]
            + [f"{p.py_name}={p.py_name}" for p in forwarded if p.location != "path"]
            + ["cursor=cursor", "extra_headers=extra_headers"]
        )
        out.append(f"            page = {'await ' if is_async else ''}self.{list_method}({call_args})")
        if is_async:
            out.append("            for item in page.items:")
            out.append("                yield item")
        else:
            out.append("            yield from page.items")
        out.append("            if page.next_cursor is None:")
        out.append("                return")
        out.append("            cursor = page.next_cursor")
    return out


@dataclass
class Rendered:
    """Everything the generator writes, and the public names of each module."""

    models: str
    client: str
    allowlist: str
    exports: list[tuple[str, list[str]]]


def render(description: dict[str, Any], models_module: str = "_models", client_module: str = "_client") -> Rendered:
    """The two generated modules, the stubtest allowlist and the names to export.

    ``models_module`` and ``client_module`` are the modules' names inside the
    package, so the client imports the models from where they are written.
    """
    gen = Generator(description)
    api_version = description.get("version", "")
    for name in gen.schemas:
        gen.component(name)
    # Operations may add inline models, so they are resolved before rendering.
    ops = gen.operations()
    model_names = sorted([*gen.aliases, *gen.models])

    models = ["", "__all__ = ["]
    models += [f"    {name!r}," for name in model_names]
    models.append("]")
    for model in gen.models.values():
        models += render_model(model)
    # Aliases come after the models because union aliases evaluate them.
    if gen.aliases:
        models += ["", ""]
    for alias, target in gen.aliases.items():
        models.append(f"{alias} = {target}")
        schema_name = next(k for k, v in gen.names.items() if v == alias)
        description = gen.schemas[schema_name].get("description")
        models += docstring(description or f"The ``{schema_name}`` schema.", "")
        models.append("")
    if gen.aliases:
        models.pop()

    client_names = ["API_VERSION", "AsyncClient", "Client", "OPERATIONS"]
    client = ["", "__all__ = ["]
    client += [f"    {name!r}," for name in client_names]
    client += ["]", ""]
    client.append(f"API_VERSION = {api_version!r}")
    client.append('"""The ``info.version`` of the OpenAPI document this module was generated from."""')
    client.append("")
    client.append("OPERATIONS: dict[str, str] = {")
    client += [f"    {op.operation_id!r}: {snake(op.operation_id)!r}," for op in ops]
    client.append("}")
    client.append('"""operationId -> method name, for every operation of the API."""')
    client += render_client(ops, gen.models, "sync")
    client += render_client(ops, gen.models, "async")

    return Rendered(
        models=module_text(MODELS_DOC, models, [("._convert", CONVERT_HELPERS)]),
        client=module_text(
            CLIENT_DOC,
            client,
            [("._base", BASE_NAMES), ("._convert", CONVERT_HELPERS), (f".{models_module}", tuple(model_names))],
        ),
        allowlist=render_allowlist(gen, models_module),
        exports=[(models_module, model_names), (client_module, client_names)],
    )


def render_init(current: str, exports: list[tuple[str, list[str]]]) -> str:
    """``__init__.py`` with its generated export block brought up to date.

    The names are listed literally (not ``__all__ += _models.__all__``)
    because type checkers only understand literal ``__all__`` lists.
    """
    start, end = current.find(BEGIN_EXPORTS), current.find(END_EXPORTS)
    if start < 0 or end < start:
        raise SpecError("__init__.py lacks the generated export markers")
    block = [BEGIN_EXPORTS.rstrip("\n")]
    for module, names in exports:
        block += [f"from .{module} import ("] + [f"    {name}," for name in names] + [")"]
    block += ["", "__all__ += ["]
    block += [f"    {name!r}," for _, names in exports for name in names]
    block += ["]"]
    return current[:start] + "\n".join(block) + "\n" + current[end:]


ALLOWLIST_HEADER = """\
# Generated by sdk-python/generate.py from openapi.json. DO NOT EDIT.
# mypy.stubtest allowlist. Each entry is a multi-value Literal[...] alias:
# stubtest expands such an alias into a Union of single literals and then
# requires the runtime object to be a typing.Union, which a typing.Literal
# never is. The aliases are correct; mypy --strict checks every use of them.
"""


def render_allowlist(gen: Generator, models_module: str) -> str:
    lines = [
        f"mismatch_recruiter.{models_module}.{alias}"
        for alias, target in gen.aliases.items()
        if target.startswith("Literal[") and "," in target
    ]
    return ALLOWLIST_HEADER + "".join(f"{line}\n" for line in lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--description", type=Path, default=DEFAULT_DESCRIPTION)
    parser.add_argument("--models-out", type=Path, default=DEFAULT_MODELS_OUT)
    parser.add_argument("--client-out", type=Path, default=DEFAULT_CLIENT_OUT)
    parser.add_argument("--allowlist", type=Path, default=DEFAULT_ALLOWLIST)
    parser.add_argument("--init", type=Path, default=DEFAULT_INIT)
    parser.add_argument("--check", action="store_true", help="fail if the output would change")
    options = parser.parse_args(argv)
    try:
        if options.models_out.parent != options.client_out.parent:
            raise SpecError("--models-out and --client-out must be in the same package folder")
        rendered = render(
            json.loads(options.description.read_text(encoding="utf-8")),
            models_module=options.models_out.stem,
            client_module=options.client_out.stem,
        )
        init = render_init(options.init.read_text(encoding="utf-8"), rendered.exports)
    except SpecError as err:
        print(f"generate.py: {options.description}: {err}", file=sys.stderr)
        return 2
    outputs = [
        (options.models_out, rendered.models),
        (options.client_out, rendered.client),
        (options.allowlist, rendered.allowlist),
        (options.init, init),
    ]
    stale = []
    for path, content in outputs:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != content:
            stale.append((path, current, content))
    if options.check:
        if not stale:
            names = ", ".join(path.name for path, _ in outputs)
            print(f"{names} are up to date with {options.description.name}")
            return 0
        for path, current, content in stale:
            diff = difflib.unified_diff(
                current.splitlines(), content.splitlines(), str(path), "regenerated", lineterm="", n=1
            )
            print("\n".join(list(diff)[:60]), file=sys.stderr)
            print(f"{path} is stale: run python {Path(__file__).name}", file=sys.stderr)
        return 1
    for path, _, content in stale:
        path.write_text(content, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
