"""OpenAPI contracts: CPU per response checked against an operation (a listCustomers page of
100 customers, ~17 KB: status, a header, the body against a `$ref`/`anyOf`/`nullable` schema),
against a JSON Schema file check of the same body with the same schema in the same run
(probes/http/schemas.py: the baseline a user had before), plus finding the operation from a
request path and compiling the document once. Figures only; docs/architecture.md, "Performance
targets"."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from probes.http.openapi.document import compile_document, parse
from probes.http.openapi.responses import check_response
from probes.http.schemas import check_schema

ITEMS = 100
ROUNDS = 300
DOC = """\
openapi: 3.0.3
info: {title: Customers API, version: "1"}
servers: [{url: "https://api.example.com/v1"}]
paths:
  /customers:
    get:
      operationId: listCustomers
      responses:
        "200":
          description: a page
          headers: {X-Total-Count: {required: true, schema: {type: integer}}}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/CustomerList"}
  /customers/{id}:
    get:
      operationId: getCustomer
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200": {description: one}
components:
  schemas:
    CustomerList:
      type: object
      required: [data]
      properties: {data: {type: array, items: {$ref: "#/components/schemas/Customer"}}}
    Customer:
      type: object
      required: [id, email]
      properties:
        id: {type: string, readOnly: true}
        email: {type: string}
        nickname: {type: string, nullable: true}
        contact: {$ref: "#/components/schemas/Contact"}
    Contact:
      anyOf:
        - {type: object, required: [kind, address],
           properties: {kind: {enum: [email]}, address: {type: string, maxLength: 200}}}
        - {type: object, required: [kind, number],
           properties: {kind: {enum: [phone]}, number: {type: string, pattern: "^[+0-9]+$"}}}
"""


def _body() -> Any:
    return {"data": [
        {"id": f"c_{i}", "email": f"user{i}@example.com", "nickname": None if i % 2 else "n",
         "contact": {"kind": "email", "address": f"user{i}@example.com"} if i % 3 else
         {"kind": "phone", "number": "+100"}}
        for i in range(ITEMS)]}


def _json_schema(doc: dict[str, Any]) -> dict[str, Any]:
    """The same schema as a draft 2020-12 file (nullable as a "null" type)."""
    defs = json.loads(json.dumps(doc["components"]["schemas"]).replace(
        "#/components/schemas/", "#/$defs/"))
    defs["Customer"]["properties"]["nickname"] = {"type": ["string", "null"]}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": "#/$defs/CustomerList", "$defs": defs}


def _per_call_us(fn: Any) -> float:
    fn()  # compile / warm the caches
    started = time.process_time()
    for _ in range(ROUNDS):
        fn()
    return (time.process_time() - started) / ROUNDS * 1e6


def main() -> dict[str, Any]:
    compile_document(parse(DOC), "bench.yaml")  # the libraries' imports, once per process
    started = time.process_time()
    contract = compile_document(parse(DOC), "bench.yaml")
    compile_ms = (time.process_time() - started) * 1000
    body = _body()
    raw = json.dumps(body).encode()
    headers = httpx.Headers({"content-type": "application/json", "x-total-count": str(ITEMS)})
    op = contract.operations["listCustomers"]
    assert check_response(contract, op, 200, headers, raw, body) is None
    with tempfile.TemporaryDirectory() as tmp:
        schema = Path(tmp) / "customers.json"
        schema.write_text(json.dumps(_json_schema(contract.doc)))
        assert check_schema(schema, body) is None
        baseline = _per_call_us(lambda: check_schema(schema, body))
    openapi = _per_call_us(lambda: check_response(contract, op, 200, headers, raw, body))
    find = _per_call_us(lambda: contract._find("GET", "/v1/customers/c_42", ""))
    figures = {"compile_ms": compile_ms, "openapi_check_us": openapi,
               "json_schema_check_us": baseline, "ratio": openapi / baseline,
               "find_uncached_us": find}
    print(f"parse and compile a small YAML document (validate + index): {compile_ms:.1f} ms CPU, "
          "once per file")
    print(f"OpenAPI check, {ITEMS}-item body ({len(raw) // 1024} KB): {openapi:.0f} µs CPU "
          f"(JSON Schema file check of the same body: {baseline:.0f} µs; ratio "
          f"{openapi / baseline:.2f})")
    print(f"find the operation of GET /v1/customers/c_42 (uncached): {find:.1f} µs "
          "(cached per request path after that)")
    return figures


if __name__ == "__main__":
    main()
