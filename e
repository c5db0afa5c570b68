gradlab: error: missing required argument 'model'
(run with --help for usage)
