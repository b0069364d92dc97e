// Integration and e2e tests need the provisioned toolchain: run them through `make test`.
if (!process.env['MEDIASOUP_WORKER_BIN']) {
  throw new Error(
    'MEDIASOUP_WORKER_BIN is not set: run the tests with `make test` (it provisions the mediasoup worker)',
  );
}
