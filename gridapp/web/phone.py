"""The grid worker's phone (issue 19): the installable web app's manifest and service worker, the
bearer token the page's outbox sends reports with, and the phone settings the pages read.

The outbox itself runs in the browser (static/js/outbox.js): reports are kept in IndexedDB and
sent through ``/api/v1`` with an ``Idempotency-Key`` each (:mod:`gridapp.core.idempotency`)."""
from __future__ import annotations

from flask import current_app, jsonify, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts import service as accounts
from ..assets import vendor_url
from ..incidents import present as case_present
from ..incidents import queries as case_queries
from . import bp

#: The Workbox modules the service worker uses, each after those it depends on.
WORKBOX_MODULES = ("core", "routing", "strategies")
#: Pages the service worker keeps for offline use once a user has opened the app (GET, same origin).
OFFLINE_PAGES = ("web.home", "web.incident_new", "web.my_tasks", "web.incident_list")


@bp.route("/sw.js")
def service_worker():
    """The service worker (Workbox, vendored): served from the site's root so that its scope is
    every page; never cached by the browser's HTTP cache (updates are picked up at once). It
    imports the Workbox modules it uses directly, in dependency order (not through workbox-sw,
    whose loader falls back to Google's CDN)."""
    body = render_template("phone/sw.js", modules=[vendor_url("workbox", f"workbox-{name}.prod.js")
                                                   for name in WORKBOX_MODULES], data_paths=data_paths())
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


def data_paths() -> list[str]:
    """The API paths whose answers (GET, any query) the service worker keeps for offline use:
    the outlines of the user's grids and of the areas (the report form's check, the maps)."""
    return [url_for("api.list_grids"), url_for("api.list_areas")]


@bp.route("/manifest.webmanifest")
def web_manifest():
    """The web app manifest (installable app): Chinese name, start page, icons."""
    icons = [{"src": url_for("static", filename=f"icons/icon-{n}.png"), "sizes": f"{n}x{n}", "type": "image/png",
              "purpose": "any maskable"} for n in (192, 512)]
    icons.append({"src": url_for("static", filename="favicon.svg"), "sizes": "any", "type": "image/svg+xml"})
    manifest = {"name": _("网格化社会治理平台"), "short_name": _("网格通"), "lang": "zh-CN",
                "start_url": url_for("web.home"), "scope": "/", "display": "standalone",
                "background_color": "#ffffff", "theme_color": "#b03a2e", "icons": icons}
    response = jsonify(manifest)
    response.mimetype = "application/manifest+json"
    return response


@bp.post("/phone/token")
@login_required
def phone_token():
    """A bearer token for the page's outbox (CSRF token in ``X-CSRFToken``): 200 {token,
    expires_at (UTC), user_id}. Lifetime: TOKEN_HOURS."""
    token, expires = accounts.issue_token(current_user, current_app.config["TOKEN_HOURS"])
    return jsonify(token=token, expires_at=expires.isoformat(), user_id=current_user.id)


@bp.app_context_processor
def _phone_context():
    return {"phone_config": phone_config, "my_work": my_work}


def my_work() -> dict:
    """What waits for the logged-in user on their home page: {tasks (cases they may act on now),
    verify (of those, cases to verify: 核查), due (due within a day or overdue), overdue}."""
    tasks = case_queries.my_tasks(current_user)
    flags = [case_present.deadline_flags(incident) for incident, _actions in tasks]
    return {"tasks": len(tasks),
            "verify": sum(1 for _i, actions in tasks if any(t.action == "verify" for t in actions)),
            "due": sum(1 for f in flags if f["overdue"] or f["due_soon"]),
            "overdue": sum(1 for f in flags if f["overdue"])}


def phone_config() -> dict:
    """What the phone scripts of a page need (a JSON island in base.html): the user, the URLs to
    keep offline (the outlines only for a grid worker, who alone has the point checked on the
    device: other roles' scopes may hold thousands of grids), the token URL, the limits (GPS
    accuracy in metres, photo side in pixels) and the labels (translated)."""
    if not current_user.is_authenticated:
        return {"user_id": None, "sw": url_for("web.service_worker")}
    worker = current_user.role == "worker"  # a worker's grids are few: kept and checked on the device
    warm = [url_for(page) for page in OFFLINE_PAGES] + ([
        url_for("api.list_grids"), *(url_for("api.list_areas", level=level)
                                     for level in ("district", "township", "community"))] if worker else [])
    return {"user_id": current_user.id, "sw": url_for("web.service_worker"), "warm": warm,
            "data_paths": data_paths(), "locate_on_device": worker,
            "token_url": url_for("web.phone_token"), "photos_url": url_for("api.upload_photo"),
            "incidents_url": url_for("api.create_incident"), "grids_url": url_for("api.list_grids"),
            "list_url": url_for("web.incident_list"),
            "accuracy_warn_m": current_app.config["GPS_ACCURACY_WARN_M"],
            "photo_max_side": current_app.config["PHOTO_MAX_SIDE_PX"], "labels": phone_labels()}


def phone_labels() -> dict:
    """The phone scripts' messages, in the page's language."""
    return {
        "queued": _("待同步"), "send_now": _("立即发送"), "edit": _("编辑"), "delete": _("删除"),
        "saved_offline": _("已保存在本机，联网后自动发送。"), "sending": _("正在发送…"),
        "network": _("网络不可用，联网后自动重试"),
        "refused": _("服务器拒绝："), "relogin": _("登录已失效，请重新登录后发送"),
        "need_category": _("请选择类别"), "need_description": _("请填写事件描述"),
        "need_point": _("请在地图上选择位置，或使用当前位置"),
        "outside": _("该位置不在您负责的网格内，不能上报：请重新选择位置"),
        "in_grid": _("所在网格：%(grid)s"), "no_grids": _("本机没有网格边界（请联网打开一次本页）"),
        "accuracy_confirm": _("定位精度约 ±%(m)s 米，低于要求的 %(limit)s 米。仍然保存？"),
        "photo_failed": _("照片无法处理："),
        "photo_gps": _("使用照片中的位置"), "photo_no_gps": _("照片中没有位置信息"),
        "locating": _("正在定位…"), "located": _("已填入当前位置"), "locate_failed": _("定位失败："),
        "unsupported": _("此浏览器不支持定位"), "delete_confirm": _("删除这条未发送的上报？"),
        "editing": _("正在编辑一条待同步的上报，保存后替换原记录"), "photos_kept": _("已有照片 %(n)s 张"),
        "empty": _("没有待同步的上报"),
    }
