"""Pages of the spine: public indicator pages and downloads (``public``), staff figure entry (``staff``)."""
