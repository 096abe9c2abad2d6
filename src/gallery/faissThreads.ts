// faiss parallelises with OpenMP even for a single query, and on a host whose
// few cores are busy the OpenMP team's hand-offs cost scheduler quanta: one
// HNSW search at 3k templates measured p50 12.6 ms with the default team vs
// 0.27 ms single-threaded (and the graph build was 2x faster), on 2 shared
// vCPUs. One query at a time is what the gallery worker does, so faiss runs
// single-threaded unless the operator sets OMP_NUM_THREADS.
// libgomp reads OMP_NUM_THREADS once, when faiss-node's addon loads, from the
// process environment: import this module before anything that loads
// faiss-node in this thread, and in the main thread before the gallery worker
// starts (a worker's process.env is a copy that libgomp never sees).
process.env.OMP_NUM_THREADS ??= '1';
