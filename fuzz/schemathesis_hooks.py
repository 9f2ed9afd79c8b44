"""Schemathesis hooks of `cargo xtask fuzz` and `cargo xtask test` (xtask/src/fuzz.rs passes this
file in SCHEMATHESIS_HOOKS).

Every authenticated write declares the optional `Idempotency-Key` header (issue 16). Schemathesis
fills it with the same few values for every operation ("0", "00", ...), and a key the session used
for another request is refused with 422 `idempotency_key_reused` by design: state no schema can
describe. A valid key is therefore made unique per request here, as a real client makes it (a UUID
per change); a malformed one is sent as generated, so the 400 `invalid_idempotency_key` stays
explored. Only schema-valid (positive) cases are changed. Replays themselves are tested in
server/tests/idempotency.rs.
"""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    # Negative cases are left exactly as generated: schemathesis re-validates a case changed here,
    # which would undo a removed header's exclusion (a refused key is a 4xx there anyway).
    if case.meta is not None and case.meta.generation.mode.is_negative:
        return
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key":
            value = headers[name]
            if isinstance(value, str) and VALID_KEY.fullmatch(value):
                headers[name] = str(uuid.uuid4())
