/*
 * rc485's XS memory host: measures what the firmware's JavaScript holds in an XS machine sized like the device's.
 *
 * Theory of operation. On the ESP32, Moddable's linker (xsl) runs the manifest's `preload` module bodies at build time
 * and freezes the result (code, classes, tables) into flash; at boot the runtime clones a machine from that read-only
 * preparation with the manifest's `creation` sizes: a chunk heap (bytes), a slot heap (16-byte slots on the 32-bit
 * ESP32), a stack and a key table, none of which grows (incremental 0). This host reproduces that with XS's own C
 * sources (the npm package @agoric/xsnap, compiled at test time, never vendored):
 *   1. a "preparation" machine with generous sizes runs the bundled script (the preload step: module bodies run, tables
 *      are built, and the script leaves its entry point as a global function `xsmemMain`, called in step 4);
 *   2. xsShareMachine makes it read-only and shared, as the device's flash image is;
 *   3. xsCloneMachine builds the run machine from it with the creation sizes given on the command line (the manifest's
 *      `creation`, read by scripts/xs-memory.mjs). Overflowing a size aborts the run with "memory full" or "not enough
 *      keys", exactly as the device would;
 *   4. `xsmemMain()` runs in the clone. It calls the host function `xsMemory()` whenever it wants a figure: a full
 *      (compacting) collection, then the machine's own counters: live slots (currentHeapCount), chunk bytes in use
 *      (currentChunksSize, headers included), runtime keys used (keyIndex - keyOffset), and the number of collections
 *      XS ran (garbageCollectionCount, mxInstrument) not counting the ones xsMemory() forced.
 * Also defined: `print(...)` (one line to stdout) and `resetMeter(limit, index)` (returns the XS computrons so far and
 * sets the count to `index`, as in xsnap; the limit is not enforced).
 * Figures are those of the width it is compiled for: built with -m32 a slot is 16 bytes as on the ESP32.
 *
 * Usage: xs-memory-host [--chunk B] [--slots N] [--stack N] [--keys N] [--names N] [--symbols N] bundle.js
 * Exit status: 0 when the script ran, 2 for "memory full", 3 for "not enough keys", 1 for anything else.
 */
#include "xsAll.h"
#include "xsScript.h"
#include "xs.h"

extern void fxRunProgramFile(txMachine* the, txString path);
extern void fxRunLoop(txMachine* the);
#ifdef mxMetering
extern txUnsigned fxGetCurrentMeter(txMachine* the);
extern void fxSetCurrentMeter(txMachine* the, txUnsigned value);
#endif

static unsigned forcedCollections = 0;

static void host_print(txMachine* the)
{
	xsIntegerValue c = xsToInteger(xsArgc), i;
	for (i = 0; i < c; i++) {
		if (i) fputc(' ', stdout);
		fputs(xsToString(xsArg(i)), stdout);
	}
	fputc('\n', stdout);
	fflush(stdout);
}

/* A full, compacting collection, then the machine's counters: [slots, chunkBytes, keys, collections, slotBytes]. */
static void host_memory(txMachine* the)
{
	txMachine* m = (txMachine*)the;
	xsCollectGarbage();
	forcedCollections++;
	xsResult = xsNewArray(5);
	xsSetIndex(xsResult, 0, xsInteger((xsIntegerValue)m->currentHeapCount));
	xsSetIndex(xsResult, 1, xsInteger((xsIntegerValue)m->currentChunksSize));
	xsSetIndex(xsResult, 2, xsInteger((xsIntegerValue)(m->keyIndex - m->keyOffset)));
#ifdef mxInstrument
	xsSetIndex(xsResult, 3, xsInteger((xsIntegerValue)(m->garbageCollectionCount - forcedCollections)));
#else
	xsSetIndex(xsResult, 3, xsInteger(-1));
#endif
	xsSetIndex(xsResult, 4, xsInteger((xsIntegerValue)sizeof(txSlot)));
}

static void host_resetMeter(txMachine* the)
{
#ifdef mxMetering
	xsResult = xsNumber((double)fxGetCurrentMeter(the));
	fxSetCurrentMeter(the, (txUnsigned)xsToNumber(xsArg(1)));
#else
	xsResult = xsInteger(0);
#endif
}

#ifdef mxMetering
static txBoolean meteringCallback(txMachine* the, txU4 index)
{
	return 1;
}
#endif

/*
 * After a compacting collection every chunk header's `temporary` field links to the next chunk. A clone's own
 * compaction reads that field to relocate the code pointer of a running frame, whichever heap the code lives in; on
 * the device shared code is in flash (XS_CODE_X_KIND) and never relocated. Clearing the links of the shared heap
 * (never collected again) tells the clone that shared code does not move.
 */
static void unlinkSharedChunks(txMachine* shared)
{
	txBlock* block = shared->firstBlock;
	while (block) {
		txByte* current = ((txByte*)block) + sizeof(txBlock);
		txByte* limit = block->current;
		while (current < limit) {
			txByte* next = ((txChunk*)current)->temporary;
			((txChunk*)current)->temporary = C_NULL;
			if (next <= current) break;
			current = next;
		}
		block = block->nextBlock;
	}
}

static int parse(const char* s)
{
	char* end;
	long v = strtol(s, &end, 10);
	if (*end || v < 0) {
		fprintf(stderr, "xs-memory-host: not a count: %s\n", s);
		exit(1);
	}
	return (int)v;
}

static int exitStatus(txMachine* the)
{
	if (the->abortStatus == XS_NOT_ENOUGH_MEMORY_EXIT) return 2;
	if (the->abortStatus == XS_NO_MORE_KEYS_EXIT) return 3;
	return the->abortStatus ? 1 : 0;
}

int main(int argc, char* argv[])
{
	txCreation preparationCreation = {
		4 * 1024 * 1024, 1024 * 1024,   /* chunks */
		256 * 1024, 64 * 1024,          /* slots */
		4096,                           /* stack */
		32000, 8000,                    /* keys */
		1993, 127,                      /* name and symbol modulo */
		8 * 1024 * 1024, 1993,          /* parser */
		0
	};
	/* Defaults: the manifest's creation as of this writing; scripts/xs-memory.mjs passes the current values. */
	txCreation runCreation = { 81920, 0, 7168, 0, 512, 64, 0, 127, 3, 1024, 17, 0 };
	const char* file = NULL;
	char path[C_PATH_MAX];
	txMachine* preparation;
	txMachine* machine;
	txSlot* entry = NULL;
	int status = 0;
	int i;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--chunk") && i + 1 < argc) runCreation.initialChunkSize = parse(argv[++i]);
		else if (!strcmp(argv[i], "--slots") && i + 1 < argc) runCreation.initialHeapCount = parse(argv[++i]);
		else if (!strcmp(argv[i], "--stack") && i + 1 < argc) runCreation.stackCount = parse(argv[++i]);
		else if (!strcmp(argv[i], "--keys") && i + 1 < argc) runCreation.initialKeyCount = parse(argv[++i]);
		else if (!strcmp(argv[i], "--names") && i + 1 < argc) runCreation.nameModulo = parse(argv[++i]);
		else if (!strcmp(argv[i], "--symbols") && i + 1 < argc) runCreation.symbolModulo = parse(argv[++i]);
		else if (argv[i][0] != '-' && !file) file = argv[i];
		else {
			fprintf(stderr, "usage: xs-memory-host [--chunk B] [--slots N] [--stack N] [--keys N] [--names N] [--symbols N] bundle.js\n");
			return 1;
		}
	}
	if (!file || !c_realpath(file, path)) {
		fprintf(stderr, "xs-memory-host: no such script: %s\n", file ? file : "(none)");
		return 1;
	}

	/* The clone shares the preparation's name and symbol tables: same moduli (as xsl and the device use). */
	preparationCreation.nameModulo = runCreation.nameModulo;
	preparationCreation.symbolModulo = runCreation.symbolModulo;

	/* 1. The preload step. */
	preparation = xsCreateMachine(&preparationCreation, "rc485-preload", NULL);
	xsBeginHost(preparation);
	{
		xsResult = xsNewHostFunction(host_print, 1);
		xsDefine(xsGlobal, xsID("print"), xsResult, xsDontEnum);
		xsResult = xsNewHostFunction(host_memory, 0);
		xsDefine(xsGlobal, xsID("xsMemory"), xsResult, xsDontEnum);
		xsResult = xsNewHostFunction(host_resetMeter, 2);
		xsDefine(xsGlobal, xsID("resetMeter"), xsResult, xsDontEnum);
		fxRunProgramFile(preparation, path);
		fxRunLoop(preparation);
		xsResult = xsGet(xsGlobal, xsID("xsmemMain"));
		if (xsTypeOf(xsResult) == xsReferenceType)
			entry = xsResult.value.reference;
	}
	xsEndHost(preparation);
	if (preparation->abortStatus || !entry) {
		fprintf(stderr, "xs-memory-host: the preload step failed\n");
		return 1;
	}

	/* 2. Frozen, as in flash. 3. The run machine, with the device's sizes. */
	xsShareMachine(preparation);
	unlinkSharedChunks(preparation);
	machine = xsCloneMachine(&runCreation, preparation, "rc485", NULL);
	if (!machine) {
		fprintf(stderr, "xs-memory-host: cannot create a machine with these creation sizes\n");
		return 1;
	}
	/* 4. The entry point. */
#ifdef mxMetering
	xsBeginMetering(machine, meteringCallback, 1);
#endif
	{
		xsBeginHost(machine);
		{
			/* The entry is a function of the shared (read-only) heap, called from the clone. */
			mxPushUndefined();
			mxPushReference(entry);
			mxCall();
			mxRunCount(0);
			mxPop();
			fxRunLoop(machine);
		}
		xsEndHost(machine);
	}
#ifdef mxMetering
	xsEndMetering(machine);
#endif
	status = exitStatus(machine);
	xsDeleteMachine(machine);
	xsDeleteMachine(preparation);
	return status;
}
