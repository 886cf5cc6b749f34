"""Email-driven support desk: the domain package shipped to Lambda as a layer."""
