export { gemm, packA, packedABytes, GEMM_SCRATCH_BYTES, GEMM_MR, GEMM_NR, GEMM_KC, setHostGemm } from './gemm';
export * from './kernels';
