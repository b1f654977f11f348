// GraphiQL for InvoiceFlow: everything it loads comes from this server.
(function () {
  var SAMPLE = [
    "# The latest invoices with their customers.",
    "query LatestInvoices {",
    "  invoices(perPage: 10) {",
    "    items {",
    "      invoiceNumber",
    "      status",
    "      total",
    "      currency",
    "      dueDate",
    "      customer { companyName }",
    "    }",
    "    pageInfo { total lastPage }",
    "  }",
    "}",
    "",
  ].join("\n");
  var HEADERS = '{\n  "Authorization": "Bearer paste-your-api-key-here"\n}';
  var fetcher = GraphiQL.createFetcher({ url: "/graphql" });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: SAMPLE,
      defaultHeaders: HEADERS,
      // The key pasted into Headers is kept for this browser session only.
      shouldPersistHeaders: true,
      storage: window.sessionStorage,
      defaultEditorToolsVisibility: "headers",
    })
  );
})();
