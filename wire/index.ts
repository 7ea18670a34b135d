export { Reader } from './reader.js';
export { Writer } from './writer.js';
export { DecodeError } from './decode-error.js';
