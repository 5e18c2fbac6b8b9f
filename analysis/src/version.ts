// Engine version, reported by the CLI and written into bundles.
export const ENGINE_VERSION = '0.1.0';
