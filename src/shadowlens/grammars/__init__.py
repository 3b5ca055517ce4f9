"""Package data: one ``.lark`` grammar per built-in format plus the shared ``common.lark``."""
