"""The Pony repositories, one module per aggregate (as ``adapters.memory`` is). Each hands
out domain objects and tracks them in the unit of work that built it
(``adapters.persistence.unit_of_work``)."""
