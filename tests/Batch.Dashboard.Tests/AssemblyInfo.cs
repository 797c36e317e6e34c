// A browser, an API host and a worker host are heavy on a 2-core machine and on the shared test server's connections: one class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
