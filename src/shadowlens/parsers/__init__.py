"""Built-in format plugins and the machinery that turns a grammar into a fast parser."""
