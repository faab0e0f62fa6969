"""The OpenAPI documents the contract tests serve and check against: a customers API in OpenAPI
3.0 (YAML: `nullable`, `readOnly`, `writeOnly`, `oneOf`, `$ref`s to schemas, a response and a
header) and the same API in 3.1 (`type: [..., "null"]`), with a `servers:` URL that is never
resolved (requests go to loopback through the integration's base_url)."""

from __future__ import annotations

import copy
from typing import Any

from probes.http.openapi.document import parse

CUSTOMERS_30 = """\
openapi: 3.0.3
info: {title: Customers API, version: "1"}
servers:
  - url: https://api.example.com/v1
paths:
  /customers:
    get:
      operationId: listCustomers
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
      responses:
        200:
          description: a page of customers
          headers:
            X-Total-Count:
              $ref: "#/components/headers/TotalCount"
          content:
            application/json:
              schema: {$ref: "#/components/schemas/CustomerList"}
              example:
                data:
                  - id: c_1
                    email: ada@example.com
                    nickname: null
                    contact: {kind: email, address: ada@example.com}
                  - id: c_2
                    email: bob@example.com
                    nickname: bobby
                    contact: {kind: phone, number: "+100"}
  /customers/{id}:
    get:
      operationId: getCustomer
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}, example: c_1}
      responses:
        "200":
          description: one customer
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Customer"}
              example: {id: c_1, email: ada@example.com, nickname: null,
                        contact: {kind: email, address: ada@example.com}}
        "404":
          $ref: "#/components/responses/Problem"
    delete:
      operationId: deleteCustomer
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "204": {description: deleted}
  /customers/search:
    get:
      operationId: searchCustomers
      parameters:
        - {name: q, in: query, required: true, schema: {type: string}}
      responses:
        "200":
          description: matches
          content:
            application/json:
              schema: {$ref: "#/components/schemas/CustomerList"}
              example: {data: []}
components:
  headers:
    TotalCount:
      required: true
      schema: {type: integer}
      example: 2
  responses:
    Problem:
      description: an error
      content:
        application/problem+json:
          schema:
            type: object
            required: [title]
            properties: {title: {type: string}}
  schemas:
    CustomerList:
      type: object
      required: [data]
      properties:
        data:
          type: array
          items: {$ref: "#/components/schemas/Customer"}
    Customer:
      type: object
      required: [id, email, password]
      properties:
        id: {type: string, readOnly: true}
        email: {type: string}
        password: {type: string, writeOnly: true}
        nickname: {type: string, nullable: true}
        contact:
          oneOf:
            - {$ref: "#/components/schemas/EmailContact"}
            - {$ref: "#/components/schemas/PhoneContact"}
    EmailContact:
      type: object
      required: [kind, address]
      additionalProperties: false
      properties:
        kind: {type: string, enum: [email]}
        address: {type: string}
    PhoneContact:
      type: object
      required: [kind, number]
      additionalProperties: false
      properties:
        kind: {type: string, enum: [phone]}
        number: {type: string}
"""


def load(text: str) -> dict[str, Any]:
    return parse(text)  # type: ignore[no-any-return]


def customers_30() -> dict[str, Any]:
    return load(CUSTOMERS_30)


def customers_31() -> dict[str, Any]:
    """The same API in OpenAPI 3.1: `nullable` becomes a "null" type; writeOnly required
    properties are left out of `required` (3.1 has no read/write context for them)."""
    doc = customers_30()
    doc["openapi"] = "3.1.0"
    customer = doc["components"]["schemas"]["Customer"]
    customer["properties"]["nickname"] = {"type": ["string", "null"]}
    customer["required"] = ["id", "email"]
    return doc


def customer_list(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The listCustomers example's customers (to change what the server sends)."""
    return doc["paths"]["/customers"]["get"]["responses"]["200"]["content"][  # type: ignore[no-any-return]
        "application/json"]["example"]["data"]


def changed(doc: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(doc)
