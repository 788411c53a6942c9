"""The runs the comparison tests set side by side: one publishing flow, on two networks."""

from __future__ import annotations


def _step(step_id: str, status: str = "COMPLETED", **fields: object) -> dict:
    return {"status": status, "stepId": step_id, "operation": "http", **fields}


def publish_log(platform: str, failed: bool) -> list:
    """trigger → format_message → post_to_network: the platform travels two hops."""
    post = _step(
        "post_to_network",
        "FAILED" if failed else "COMPLETED",
        input={"network": platform, "text": "New post from John Doe"},
        durationMs=400 if failed else 10,
    )
    if failed:
        post["error"] = {"message": "unsupported network"}
    else:
        post["output"] = {"ok": True}
    return [
        {
            "status": "COMPLETED",
            "stepId": "trigger",
            "operation": "trigger",
            "output": {"post": {"platform": platform, "author": "John Doe"}},
        },
        _step(
            "format_message",
            input={"platform": platform, "author": "John Doe"},
            output={"network": platform, "text": "New post from John Doe"},
        ),
        post,
    ]
