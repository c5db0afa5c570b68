export { gemm, GEMM_SCRATCH_BYTES } from './gemm';
export * from './kernels';
