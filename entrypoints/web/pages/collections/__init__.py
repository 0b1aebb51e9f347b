"""« Collectes »: the preparation wizard (six steps), the dashboard and the collection page.

Every step saves the draft as soon as it is submitted, so a draft can be left and resumed
from the dashboard. Every form works without JavaScript; collectes.js adds drag and drop
(documents, order of the signers) and placing a signature box with a click on the page.
Only members holding the PREPARE delegation get here: the use cases refuse everyone else,
and the pages say why in French before anything is attempted.
"""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from entrypoints.web.pages.collections import documents, manage, wizard
from entrypoints.web.pages.collections.shared import CannotPrepare, on_cannot_prepare, provide_preparer

collections_router = Router(path="/", route_handlers=[
    manage.dashboard, documents.new_collection, documents.create_collection, documents.documents,
    documents.add_documents, documents.remove_document, documents.page_image, documents.download_original,
    wizard.informations, wizard.save_informations, wizard.options, wizard.save_options, wizard.add_observer,
    wizard.remove_observer, wizard.signers, wizard.save_signers, wizard.add_signer, wizard.placement, wizard.place,
    wizard.recap, wizard.send, wizard.discard_form, wizard.discard, manage.collection, manage.remind, manage.reorder_running, manage.replace_form,
    manage.replace, manage.cancel_form, manage.cancel,
], dependencies={"viewer": Provide(provide_preparer, sync_to_thread=True)},
    exception_handlers={CannotPrepare: on_cannot_prepare}, include_in_schema=False)

__all__ = ["collections_router"]
