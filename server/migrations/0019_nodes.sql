-- Issue 16, several nodes: which node plays each call's simulation (`calls.node`, the node that
-- created it), and which nodes are alive (`nodes`: each running node writes `seen_ms` every few
-- seconds and deletes its row when it stops). A live call whose node is not alive any more can go
-- on nowhere: a node's sweep ends it. Calls from before this migration have no node: orphans.
CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    seen_ms INTEGER NOT NULL
);
ALTER TABLE calls ADD COLUMN node TEXT;
