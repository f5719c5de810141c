"""build-appeal: from a Schedule A case folder to the documents and the PDF bundle a frozen seller sends."""

__version__ = "0.1.0"
