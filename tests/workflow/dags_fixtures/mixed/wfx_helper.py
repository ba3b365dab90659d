"""A helper module next to the workflows; never imported by the loader."""

raise RuntimeError("helper modules without workflow definitions are not imported")
