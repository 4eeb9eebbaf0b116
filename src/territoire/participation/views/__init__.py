"""Pages of the participation module, one module per area: ``consultations``,
``budgets``, ``account`` (residents' accounts), ``engagement`` (public analytics) and
``staff`` (the budget's steering page); ``common`` holds the shared plumbing (the page's
place, rendering, the sign-in redirect)."""
