"""Reading and writing email: MIME parsing, quoted-history stripping, loop defence, composing."""
