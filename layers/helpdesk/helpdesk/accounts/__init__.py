"""Customer accounts: the account model, import validation and lookup by email domain."""
