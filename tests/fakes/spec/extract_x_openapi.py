"""Cut the parts of X's OpenAPI spec that the fake X serves into `x_openapi.json`.

Run by hand when X's spec changes (the output is checked in; tests never fetch):

    python tests/fakes/spec/extract_x_openapi.py CURRENT.json COMMIT PARAMS.json PARAMS_COMMIT \
        > tests/fakes/spec/x_openapi.json

Source: github.com/xdevplatform/docs, file `openapi.json` ("X API v2", info.version
as recorded in the output). Licence: the X Developer Agreement and Policy
(https://developer.x.com/en/developer-terms/agreement-and-policy.html), as the spec's
`info.license` says. Only the operations below and the schemas and parameters they
reference are kept, unchanged.

Why two versions. Request bodies and security come from the current spec
(2.167, commit 2871328, 2026-08-22: `MediaUploadRequest` allows only `media`,
`media_category`, `additional_owners`). Its generator also renamed the *query*
parameters of the read operations (`tweet.fields` → `post.fields`, and dropped
values such as `referenced_tweets`), which no client sends and X's own changelog
(May 2026) still writes as `tweet.fields`; so the read operations' query
parameters come from the last version that names them as the wire does (2.166,
commit cb39125, 2026-08-05).
"""

from __future__ import annotations

import json
import sys
from typing import Any

OPERATIONS = {  # (method, path) the adapter calls
    ("post", "/2/tweets"),
    ("get", "/2/users/me"),
    ("get", "/2/users/{id}/tweets"),
    ("post", "/2/media/upload"),
    ("post", "/2/media/metadata"),
    ("delete", "/2/tweets/{id}"),  # a retraction deletes each post
    ("get", "/2/tweets/{id}"),  # and looks a post up before deleting it again
}


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value)
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for item in node:
            found |= _refs(item)
    return found


def _closure(spec: dict[str, Any], node: Any, into: dict[str, dict[str, Any]]) -> None:
    todo = sorted(_refs(node))
    while todo:
        ref = todo.pop()
        _, _, kind, name = ref.split("/")
        if name in into[kind]:
            continue
        into[kind][name] = spec["components"][kind][name]
        todo.extend(sorted(_refs(into[kind][name])))


def _resolved_params(spec: dict[str, Any], op: dict[str, Any]) -> list[Any]:
    out = []
    for param in op.get("parameters") or []:
        if "$ref" in param:
            param = spec["components"]["parameters"][param["$ref"].rsplit("/", 1)[1]]
        out.append(param)
    return out


def extract(spec: dict[str, Any], commit: str, params_spec: dict[str, Any], params_commit: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    components: dict[str, dict[str, Any]] = {"schemas": {}, "parameters": {}}
    for method, path in sorted(OPERATIONS):
        op = spec["paths"][path][method]
        kept = {k: op[k] for k in ("operationId", "security", "requestBody") if k in op}
        _closure(spec, kept, components)
        # Parameters inlined (no $ref), so the two versions' components never mix.
        kept["parameters"] = _resolved_params(params_spec, params_spec["paths"][path][method])
        _closure(params_spec, kept["parameters"], components)
        paths.setdefault(path, {})[method] = kept
    return {
        "x-source": {
            "repository": "github.com/xdevplatform/docs",
            "path": "openapi.json",
            "commit": commit,
            "info": spec["info"],
            "parameters_from": {"commit": params_commit, "version": params_spec["info"]["version"]},
            "note": "a subset: the operations syndicate calls and what they reference, unchanged; "
                    "see extract_x_openapi.py for why query parameters come from an earlier version",
        },
        "paths": paths,
        "components": {k: dict(sorted(v.items())) for k, v in components.items()},
    }


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        full = json.load(f)
    with open(sys.argv[3], encoding="utf-8") as f:
        params = json.load(f)
    json.dump(extract(full, sys.argv[2], params, sys.argv[4]), sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")
