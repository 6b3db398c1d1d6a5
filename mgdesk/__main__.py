from mgdesk.cli import main

raise SystemExit(main())
