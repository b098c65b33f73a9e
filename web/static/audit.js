// New entries arrive over the public audit stream; the row links to the entry in the JSON API.
(function () {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + "/ws/audit");
  socket.onmessage = function (event) {
    const message = JSON.parse(event.data);
    if (message.type === "subscribed") return;
    const row = document.createElement("tr");
    [message.position, message.time.replace("T", " ").slice(0, 19) + "Z", message.kind, "", ""].forEach(function (value) {
      const cell = document.createElement("td");
      cell.textContent = value;
      row.appendChild(cell);
    });
    document.querySelector("#audit-table tbody").prepend(row);
    document.getElementById("audit-size").textContent = message.position + 1;
  };
})();
