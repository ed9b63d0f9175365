// Where the demo writes. On a terminal: narration scrolls and the live status table stays at
// the bottom, redrawn in place. Elsewhere (CI, a pipe): plain lines only, with the one-line
// summary printed whenever it changes, so the log reads as a story.
export class Screen {
  private boardLines = 0;
  private board = '';
  private lastSummary = '';

  constructor(
    private readonly out: NodeJS.WriteStream,
    readonly live: boolean = out.isTTY === true,
  ) {}

  /** A narration line; on a terminal it goes above the table. */
  say(text: string): void {
    this.clearBoard();
    this.out.write(`${text}\n`);
    this.drawBoard();
  }

  /** The latest status: redrawn in place on a terminal, summary-on-change otherwise. */
  show(table: string, summary: string): void {
    if (this.live) {
      this.clearBoard();
      this.board = table;
      this.drawBoard();
    } else if (summary !== this.lastSummary) {
      this.lastSummary = summary;
      this.out.write(`  status: ${summary}\n`);
    }
  }

  /** Leaves the last table on screen and stops redrawing it. */
  release(): void {
    this.boardLines = 0;
    this.board = '';
  }

  private clearBoard(): void {
    if (this.boardLines > 0) this.out.write(`\x1b[${this.boardLines}A\x1b[J`);
    this.boardLines = 0;
  }

  private drawBoard(): void {
    if (!this.live || this.board === '') return;
    const text = `\n${this.board}`;
    this.out.write(text);
    this.boardLines = text.split('\n').length - 1;
  }
}
