"""Pages of the roadmap: public pages (``public``), pages for staff (``staff``)."""
