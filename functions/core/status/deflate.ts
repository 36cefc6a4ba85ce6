/**
 * The parts of fflate segments use, loaded by `segment.ts` on first use (`require('./deflate')`), so
 * that bundles keep fflate's tree-shaken ES build and a function that never packs or reads a
 * segment never builds its Huffman tables at cold start.
 */
export { deflateSync, Inflate } from 'fflate';
