"""``/admin/operations``: RQ queues, workers, failed jobs (retry or delete), timers and the last reconciliation,
undelivered messages, and the audit chain's last verification (administrators only, see web/admin/views.py)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from web.admin.views import bp
from web.extensions import services


@bp.get("/operations")
@login_required
def operations() -> ResponseReturnValue:
    """The state of the installation at a glance."""
    return render_template("admin/operations.html", o=services().operations.overview(),
                           now=services().clock.now())


@bp.post("/operations/jobs/<job_id>/<any(retry, delete):action>")
@login_required
def job(job_id: str, action: str) -> ResponseReturnValue:
    """Put a failed job back on its queue, or delete it."""
    ops = services().operations
    try:
        (ops.retry_job if action == "retry" else ops.delete_job)(job_id)
    except Exception:  # noqa: BLE001 - no such job any more, or Redis down: said on the page
        flash(_("Job %(id)s could not be changed: it no longer exists or Redis does not answer.", id=job_id), "error")
    else:
        flash(_("Job %(id)s is queued again.", id=job_id) if action == "retry"
              else _("Job %(id)s is deleted.", id=job_id), "success")
    return redirect(url_for("admin.operations"))
