"""`http`: call a web service, map its JSON answer into variables; `fail` on error or timeout.

`result` maps variable names to CEL expressions over `response` (the parsed JSON body) and `status`.

    balance:
      type: http
      method: GET
      url: "https://crm.example.com/api/accounts/${vars.customer_id}/balance"
      headers: {Authorization: "Bearer ${vars.token}"}
      timeout: 3
      result:
        balance: response.balance
        overdue: response.overdue_days > 30
      next: say_balance
      fail: operator
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, PrivateAttr

from alur.core.events import HttpRequested
from alur.flow.expr import (
    HTTP_ROOTS,
    Expression,
    ExpressionError,
    Template,
    compile_expression,
    compile_template,
)
from alur.flow.model import NodeBase, compile_each

if TYPE_CHECKING:
    from alur.flow.call import Call


class HttpNode(NodeBase):
    type: Literal["http"]
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    body: dict[str, Any] | None = None
    timeout: float = Field(3.0, gt=0, le=60)
    result: dict[str, str] = Field(default_factory=dict)
    next: str | None = None
    fail: str | None = None
    _url: Template | None = PrivateAttr(None)
    _headers: dict[str, Template] = PrivateAttr(default_factory=dict)
    _body: dict[str, Template | Any] = PrivateAttr(default_factory=dict)
    _result: dict[str, Expression] = PrivateAttr(default_factory=dict)

    def targets(self) -> list[tuple[str, str | None]]:
        return [("next", self.next), ("fail", self.fail)]

    def expressions(self) -> list[tuple[str, str]]:
        out = [("url", self.url)] + [(f"headers.{k}", v) for k, v in self.headers.items()]
        out += [(f"body.{k}", v) for k, v in (self.body or {}).items() if isinstance(v, str)]
        return out

    def _compile(self) -> list[tuple[str, str]]:
        templates, problems = compile_each(self.expressions(), compile_template)
        results, more = compile_each(
            [(f"result.{k}", v) for k, v in self.result.items()], compile_expression, HTTP_ROOTS
        )
        if "url" in templates:
            self._url = templates["url"]
        self._headers = {k: templates[f"headers.{k}"] for k in self.headers if f"headers.{k}" in templates}
        self._body = {k: templates.get(f"body.{k}", v) for k, v in (self.body or {}).items()}
        self._result = {k: results[f"result.{k}"] for k in self.result if f"result.{k}" in results}
        return problems + more

    async def run(self, call: Call) -> str | None:
        context = call.context()
        assert self._url is not None
        url = self._url.render(context)
        headers = {k: t.render(context) for k, t in self._headers.items()}
        body = {k: (v.value(context) if isinstance(v, Template) else v) for k, v in self._body.items()}
        response = await call.runner.http.request(
            self.method,
            url,
            headers=headers,
            json=body if self.body is not None else None,
            timeout=self.timeout,
        )
        ok = response.status is not None and 200 <= response.status < 300
        call.log(HttpRequested(call.now(), call.call_id, call.node_id, url, response.status, ok))
        if not ok:
            call.error = response.error or f"HTTP status {response.status}"
            return self.fail
        scope = dict(
            call.as_dict(),
            now=call._now_map(),
            response=response.body if response.body is not None else {},
            status=response.status,
        )
        values = {}
        for name, expression in self._result.items():
            try:
                values[name] = expression.evaluate(scope)
            except ExpressionError as error:
                call.error = error.message
                return self.fail
        for name, value in values.items():
            call.set_var(name, value)
        return self.next
