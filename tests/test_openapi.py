"""GET /api/v1/openapi.json: a valid OpenAPI 3.1 document generated from the route table."""

from __future__ import annotations

import httpx
from openapi_spec_validator import validate

from invoiceflow.rest_compat.routes import ROUTES
from invoiceflow.rest_compat.table import Body


async def test_document_is_valid_openapi_31(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get("/api/v1/openapi.json")
    # then
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    validate(document)


async def test_every_route_of_the_table_is_documented(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/v1/openapi.json")).json()
    for route in ROUTES:
        operation = document["paths"][f"/api/v1{route.path}"][route.method.lower()]
        # then: the success status, the bearer scheme and every declared error are there
        assert str(route.status) in operation["responses"], route
        assert operation["security"] == [{"bearer": []}]
        for status in (*route.errors, 401, 429, 500, 503):
            error = operation["responses"][str(status)]
            assert error["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }
        if any(isinstance(arg, Body) for arg in route.args.values()):
            assert "requestBody" in operation, route
    documented = {
        (method.upper(), path) for path, ops in document["paths"].items() for method in ops
    }
    assert documented == {(r.method, f"/api/v1{r.path}") for r in ROUTES}
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
    }


async def test_response_schemas_come_from_the_shapes(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/v1/openapi.json")).json()
    schemas = document["components"]["schemas"]
    # a list route: data is an array of the item shape, with page meta
    listing = document["paths"]["/api/v1/invoices"]["get"]["responses"]["200"]
    envelope = listing["content"]["application/json"]["schema"]
    assert envelope["properties"]["data"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/InvoiceSummary"},
    }
    assert envelope["required"] == ["success", "data", "meta"]
    assert {"invoice_number", "status", "customer", "total", "due_date"} <= set(
        schemas["InvoiceSummary"]["properties"]
    )
    assert schemas["InvoiceCreate"]["required"] == ["customer_id", "items"]
    conversion = document["paths"]["/api/v1/estimates/{id}/convert-to-invoice"]["post"]
    assert "201" in conversion["responses"]
    assert set(schemas["Conversion"]["properties"]) == {"invoice_id", "invoice_number"}
