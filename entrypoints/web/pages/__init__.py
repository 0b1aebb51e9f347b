"""The French HTML pages, grouped by area; ``create_app`` mounts ``PAGE_ROUTERS``."""

from __future__ import annotations

from entrypoints.web.pages.account import account_router
from entrypoints.web.pages.api_keys import api_keys_router
from entrypoints.web.pages.auth import auth_router
from entrypoints.web.pages.back_office import back_office_router
from entrypoints.web.pages.cabinet import cabinet_router
from entrypoints.web.pages.capture import capture_router
from entrypoints.web.pages.ceremony import ceremony_router
from entrypoints.web.pages.collections import collections_router
from entrypoints.web.pages.dev import dev_router
from entrypoints.web.pages.downloads import downloads_router, member_downloads_router
from entrypoints.web.pages.my_signature import my_signature_public_router, my_signature_router
from entrypoints.web.pages.pki import pki_router
from entrypoints.web.pages.qcp import qcp_public_router, qcp_router
from entrypoints.web.pages.seals import seals_router
from entrypoints.web.pages.verifier import verifier_router
from entrypoints.web.pages.webhooks import webhooks_router

PAGE_ROUTERS = [auth_router, account_router, cabinet_router, api_keys_router, dev_router, pki_router, my_signature_router,
                collections_router, qcp_router, qcp_public_router, capture_router, back_office_router,
                ceremony_router, downloads_router, member_downloads_router, verifier_router, my_signature_public_router,
                webhooks_router, seals_router]
