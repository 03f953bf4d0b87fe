/** Set up for every test file (vitest.config.ts): its temporary folders go when it is done. */
import { afterAll } from 'vitest';
import { removeTemporaryFolders } from './temporary.js';

// Registered first, so run after the file's own afterAll hooks (which may stop what uses them).
afterAll(removeTemporaryFolders);
