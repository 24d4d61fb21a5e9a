import { MemoryShipCursorStore } from './memory-cursors.ts';
import { shipCursorContract } from './cursors.contract.ts';

shipCursorContract('memory', false, async () => ({ store: new MemoryShipCursorStore(), close: async () => undefined }));
