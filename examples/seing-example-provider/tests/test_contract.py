"""The provider passes Seing's DocumentStore contract, loaded through its entry point."""

from ports.contracts.providers import contract_for

TestExampleFolderStore = contract_for("seing.document_stores", "example-folder")
