package dev.kvstore.store;

/** Thread helpers shared by the store's background threads. */
final class Threads {

    private Threads() {
    }

    /**
     * Waits for {@code t} to end even if this thread is interrupted meanwhile (a close must not return while its
     * thread still touches the files), then restores the interrupt.
     */
    static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
