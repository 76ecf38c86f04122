"""One module per subcommand: ``configure(parser)`` adds its arguments (light
imports only, so ``holochat --help`` stays fast) and ``run(args) -> int`` does
the work, importing heavy modules lazily."""
