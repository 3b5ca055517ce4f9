"""Format specs: the model of ``NAME.toml`` (:mod:`.model`), the compiler to a typed plan
(:mod:`.compiler`, :mod:`.plan`) and the authoring tools behind ``shadowlens formats``."""
