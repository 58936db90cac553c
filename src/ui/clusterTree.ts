import * as vscode from 'vscode';

/**
 * The explorer's tree. Empty until the cluster model lands: an empty provider lets VS Code show the
 * view's welcome content instead of "no data provider registered".
 */
export class ClusterTreeProvider implements vscode.TreeDataProvider<vscode.TreeItem> {
  getTreeItem(element: vscode.TreeItem): vscode.TreeItem {
    return element;
  }

  getChildren(): vscode.TreeItem[] {
    return [];
  }
}
