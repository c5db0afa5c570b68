/** gradlab's version: `gradlab --version` and the producer of exported ONNX files (test/cli/user-audit.test.ts checks it equals package.json's). */
export const VERSION = '0.1.0';
